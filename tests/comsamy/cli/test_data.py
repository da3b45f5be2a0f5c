"""comsamy-data: commands called through main(argv), exit codes from the error classes."""

from __future__ import annotations

from pathlib import Path

import pytest

from comsamy.cli.data import main
from tests.comsamy.data.rawfactory import make_raw_release


@pytest.fixture(autouse=True)
def _offline(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    import datasets
    import huggingface_hub.constants

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path_factory.mktemp("cache"))
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.delenv("COMSAMY_DATA", raising=False)


def test_export_then_validate_both_layouts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = make_raw_release(tmp_path / "raw", n=8, inliers=2)
    assert main(["--quiet", "export", str(raw), str(tmp_path / "out"), "--synthetic"]) == 0
    assert "exported 8 test and 2 inlier examples" in capsys.readouterr().out
    assert main(["--quiet", "validate", str(raw)]) == 0
    assert main(["--quiet", "validate", str(tmp_path / "out")]) == 0
    assert "valid dataset folder: 8 test and 2 inlier" in capsys.readouterr().out
    assert main(["--quiet", "export", str(raw), str(tmp_path / "out")]) == 2  # exists, no --force
    assert "--force" in capsys.readouterr().err


def test_invalid_release_exits_3_with_every_file_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = make_raw_release(tmp_path / "raw", n=4, inliers=0)
    (raw / "labels" / "img001.png").unlink()
    (raw / "images" / "img002.jpg").write_bytes(b"not a jpeg")
    assert main(["--quiet", "export", str(raw), str(tmp_path / "out")]) == 3
    err = capsys.readouterr().err
    assert "labels/img001.png" in err and "images/img002.jpg" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
    assert main(["--quiet", "validate", str(raw)]) == 3


def test_os_errors_exit_1_without_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = make_raw_release(tmp_path / "raw", n=2, inliers=0)
    (tmp_path / "file").write_text("x")
    assert main(["--quiet", "export", str(raw), str(tmp_path / "file" / "out")]) == 1
    err = capsys.readouterr().err
    assert "comsamy-data export: error:" in err and "Traceback" not in err


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path)]) == 2
    assert main(["sample", str(tmp_path / "s"), "--size", "480by270"]) == 2
    assert main([]) == 2
    assert "expected WIDTHxHEIGHT" in capsys.readouterr().err


def test_fetch_offline_exits_4_and_says_how(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--quiet", "fetch", "--to", str(tmp_path / "dl")]) == 4
    err = capsys.readouterr().err
    assert "comsamy/comsamy" in err and "COMSAMY_DATA" in err and "Traceback" not in err


def test_load_without_data_is_exit_code_4() -> None:
    import comsamy

    with pytest.raises(comsamy.DataNotAvailableError) as info:
        comsamy.load_dataset("comsamy")
    assert info.value.exit_code == 4


@pytest.mark.slow
def test_sample_generates_and_exports_a_loadable_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import comsamy

    out = tmp_path / "sample"
    assert main(["--quiet", "sample", str(out), "--images", "8", "--size", "96x54", "--inliers", "2"]) == 0
    ds = comsamy.load_dataset(out, config="all", split="test")
    assert len(ds) == 8 and ds[0]["image"].size == (96, 54)
    assert len(comsamy.load_dataset(out, config="inliers", split="train")) == 2
    assert "synthetic" in (out / "README.md").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sample"]  # the raw temp folder is gone


def test_import_and_corrupt_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.comsamy.data import benchfixtures as bf

    raw, _ = bf.smiyc(tmp_path / "dataset_ObstacleTrack", track="obstacle")
    assert main(["--quiet", "import", "roadobstacle21", str(raw), str(tmp_path / "ro")]) == 0
    captured = capsys.readouterr()
    assert "imported 3 images of roadobstacle21" in captured.out and "held-out test set" in captured.err
    gen, _ = bf.generic(tmp_path / "gen")
    assert main(["--quiet", "import", "generic", str(gen), str(tmp_path / "g")]) == 2
    assert "expected --map" in capsys.readouterr().err
    assert main(["--quiet", "import", "generic", str(gen), str(tmp_path / "g"), "--map", "0=0"]) == 3
    assert "comsamy-data import: error:" in capsys.readouterr().err and not (tmp_path / "g").exists()
    assert (
        main(
            [
                "--quiet",
                "import",
                "generic",
                str(gen),
                str(tmp_path / "g"),
                "--map",
                "2=1,0=0,*=255",
                "--name",
                "mybench",
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert (
        main(
            [
                "--quiet",
                "corrupt",
                str(tmp_path / "ro"),
                str(tmp_path / "rw"),
                "--weathers",
                "rain,fog",
                "--severities",
                "1,2",
                "--seed",
                "4",
                "--workers",
                "1",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "wrote 15 images" in out and "images/s per core" in out
    assert main(["--quiet", "corrupt", str(tmp_path / "ro"), str(tmp_path / "rw2"), "--severities", "1,x"]) == 2


def test_every_documented_import_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The commands of docs/data.md, on fixtures in each release's layout."""
    from comsamy.data import benchmark_name
    from tests.comsamy.data import benchfixtures as bf

    bf.roadanomaly(tmp_path / "RoadAnomaly_jpg")
    bf.smiyc(tmp_path / "dataset_AnomalyTrack")
    bf.smiyc(tmp_path / "dataset_ObstacleTrack", track="obstacle")
    bf.fishyscapes_laf(tmp_path / "fishyscapes_lostandfound", tmp_path / "dataset_LostAndFound")
    bf.fishyscapes_static(tmp_path / "fs_val_v3", tmp_path / "cityscapes")
    bf.generic(tmp_path / "mine")
    docs = (Path(__file__).resolve().parents[3] / "docs" / "data.md").read_text()
    commands = [
        line.split()[1:]
        for line in docs.splitlines()
        if line.startswith("comsamy-data import ") and "BENCHMARK" not in line
    ]
    assert len(commands) == 7
    for argv in commands:
        argv = [str(tmp_path / a) if i in (2, 3) or argv[i - 1] == "--base" else a for i, a in enumerate(argv)]
        assert main(["--quiet", *argv]) == 0, capsys.readouterr().err
        assert benchmark_name(argv[3]) in (argv[1], "mine")
