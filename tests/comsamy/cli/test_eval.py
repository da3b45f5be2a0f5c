"""``comsamy-eval`` on real archives and dataset folders: anchors, exit codes, formats, error paragraphs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from comsamy.cli.eval import main
from tests.comsamy.evaluation import evalfixtures as ef

TOL = 1e-6


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("cli")
    return {
        "anchors": ef.build_dataset_folder(root / "anchors-ds", ef.anchor_items()),
        "anchor_zip": ef.write_archive(root / "anchors.zip", ef.anchor_scores(), manifest={"method": "anchors"}),
        "small": ef.build_dataset_folder(root / "small-ds", ef.small_items()),
        "small_zip": ef.write_archive(root / "small.zip", ef.small_scores(), manifest={"method": "rand"}),
        "bad": root / "bad",
    }


@pytest.fixture(scope="module")
def bad_archives(folders: dict[str, Path]) -> dict[str, tuple[Path, list[str]]]:
    folders["bad"].mkdir()
    return ef.make_bad_archives(folders["bad"])


def _small(folders: dict[str, Path], *options: str) -> list[str]:
    """The arguments that score the small archive on the small dataset, then ``options``."""
    return ["--preds", str(folders["small_zip"]), "--data", str(folders["small"]), *options]


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main([*argv, "--workers", "1"] if "--workers" not in argv else argv)
    out, err = capsys.readouterr()
    return code, out, err


def _anchor_json(folders: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    out = tmp_path / "r.json"
    code, _, err = _run(
        ["--preds", str(folders["anchor_zip"]), "--data", str(folders["anchors"]), "--out", str(out), *extra], capsys
    )
    assert code == 0, err
    return json.loads(out.read_text())


@pytest.mark.parametrize(
    ("extra", "col_fpr", "col_ap"),
    [((), 2, 0), (("--fpr95", "closest", "--auprc", "trapezoid"), 3, 5), (("--fpr95", "interp"), 4, 0)],
)
def test_anchors_t1_to_t11_through_comsamy_eval(folders, tmp_path, capsys, extra, col_fpr, col_ap) -> None:
    doc = _anchor_json(folders, tmp_path, capsys, *extra)
    tags = doc["by_condition"]["anomaly_type"]
    for tag, want in ef.ANCHORS.items():
        got = tags[tag]
        assert (got["auprc"], got["auroc"], got["fpr95"]) == pytest.approx(
            (want[col_ap], want[1], want[col_fpr]), abs=TOL
        ), tag
    assert doc["settings"]["fpr95"] == (extra[1] if extra else "first")
    if not extra:
        fog, night = doc["by_condition"]["weather"]["fog"], doc["by_condition"]["weather"]["night"]
        assert fog["auprc"] == pytest.approx(53 / 90, abs=1e-12) and fog["fpr95"] == 0.25
        assert (night["auprc"], night["auroc"], night["fpr95"]) == pytest.approx((0.5, 0.5, 2 / 3), abs=TOL)
        t10, t11 = tags["T10"], tags["T11"]
        assert (t10["auprc"], t10["fpr95"]) == pytest.approx((49 / 90, 4 / 11), abs=1e-12)
        assert t10["auroc"] == pytest.approx(0.772727, abs=TOL)
        assert (t11["auprc"], t11["auroc"], t11["fpr95"]) == pytest.approx((0.7, 0.611111, 0.666667), abs=TOL)


def test_t11_with_float32_precision(folders, tmp_path, capsys) -> None:
    doc = _anchor_json(folders, tmp_path, capsys, "--precision", "float32")
    t11 = doc["by_condition"]["anomaly_type"]["T11"]
    assert (t11["auprc"], t11["auroc"], t11["fpr95"]) == pytest.approx((0.7, 0.555556, 0.666667), abs=TOL)
    assert doc["settings"]["precision"] == "float32"


@pytest.mark.parametrize("case", ef.BAD_CASES)
def test_every_bad_archive_exits_3_naming_the_member(folders, bad_archives, capsys, case: str) -> None:
    path, needles = bad_archives[case]
    code, out, err = _run(["--preds", str(path), "--data", str(folders["small"])], capsys)
    assert code == 3, err
    assert out == ""
    for needle in needles:
        assert needle in err, f"{case}: {needle!r} not in\n{err}"
    assert "Traceback" not in err


def test_all_problems_listed_at_once_and_validate_only(folders, tmp_path, capsys) -> None:
    members = ef.score_members(ef.small_scores())
    members["../a.npy"] = members.pop("a.npy")
    members["b.npy"] = ef.npy_bytes(np.zeros((2, 2), np.float16))
    members["zzz.npy"] = members["c.npy"]
    path = ef.write_zip(tmp_path / "p.zip", members)
    code, _, err = _run(["--preds", str(path), "--data", str(folders["small"]), "--validate-only"], capsys)
    assert code == 3
    assert all(n in err for n in ("'../a.npy'", "'b.npy'", "'zzz.npy'", "3 problem(s)"))
    code, out, _ = _run(_small(folders, "--validate-only"), capsys)
    assert code == 0 and "valid" in out


def test_every_format_renders_and_out_has_the_contract_keys(folders, tmp_path, capsys) -> None:
    outs = {}
    for fmt in ("table", "json", "markdown", "csv", "latex"):
        code, out, err = _run(
            _small(folders, "--format", fmt, "--out", str(tmp_path / "r.json")),
            capsys,
        )
        assert code == 0, err
        outs[fmt] = out
    assert "Clear" in outs["table"] and "Whole" in outs["table"]
    assert json.loads(outs["json"]) == json.loads((tmp_path / "r.json").read_text())
    assert outs["csv"].startswith("group,value,auprc")
    assert "\\begin{tabular}" in outs["latex"] and "| Method |" in outs["markdown"]
    doc = json.loads(outs["json"])
    assert list(doc) == ["version", "dataset", "archive", "settings", "overall", "by_condition"]
    assert doc["archive"]["manifest"] == {"method": "rand"}
    assert len(doc["archive"]["sha256"]) == 64
    assert set(doc["by_condition"]) == {"split", "weather", "landform", "anomaly_type"}


def test_folder_equals_zip_and_two_workers_equal_one(folders, tmp_path, capsys) -> None:
    folder = ef.write_archive(tmp_path / "dir", ef.small_scores())
    docs = []
    for preds, workers in ((folders["small_zip"], "1"), (folder, "1"), (folders["small_zip"], "2")):
        code, out, err = _run(
            ["--preds", str(preds), "--data", str(folders["small"]), "--format", "json", "--workers", workers], capsys
        )
        assert code == 0, err
        doc = json.loads(out)
        docs.append((doc["overall"], doc["by_condition"]))
    assert docs[0] == docs[1] == docs[2]


def test_missing_data_exits_4_with_how_to_get_it(folders, tmp_path, capsys, monkeypatch) -> None:
    code, _, err = _run(["--preds", str(folders["small_zip"]), "--data", str(tmp_path / "no-such-dataset")], capsys)
    assert code == 4 and "no-such-dataset" in err and "COMSAMY_DATA" in err and "Traceback" not in err
    monkeypatch.setenv("COMSAMY_DATA", str(tmp_path / "also-missing"))
    code, _, err = _run(["--preds", str(folders["small_zip"])], capsys)
    assert code == 4 and "also-missing" in err


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--preds", "x.zip", "--format", "html"],
        ["--preds", "x.zip", "--workers", "0"],
        ["--preds", "definitely-missing.zip", "--data", "sample"],
        ["--preds", "x.zip", "--fpr95", "last"],
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys) -> None:
    assert main(argv) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_debug_shows_the_traceback(folders, bad_archives, capsys) -> None:
    code, _, err = _run(["--preds", str(bad_archives["nan"][0]), "--data", str(folders["small"]), "--debug"], capsys)
    assert code == 3 and "Traceback" in err


@pytest.mark.slow
def test_installed_console_script_runs(folders, tmp_path) -> None:
    exe = shutil.which("comsamy-eval") or str(Path(sys.executable).parent / "comsamy-eval")
    out = tmp_path / "r.json"
    proc = subprocess.run(
        [
            exe,
            "--preds",
            str(folders["small_zip"]),
            "--data",
            str(folders["small"]),
            "--out",
            str(out),
            "--workers",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COMSAMY_DATA": ""},
    )
    assert proc.returncode == 0, proc.stderr
    assert "Whole" in proc.stdout
    assert json.loads(out.read_text())["dataset"]["num_images"] == 3


def test_preds_sample_scores_the_bundled_example_on_the_bundled_sample(capsys) -> None:
    from comsamy.data import example_predictions_path

    assert example_predictions_path().is_file(), "run scripts/make_example_predictions.py"
    code, out, err = _run(["--preds", "sample", "--format", "json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["dataset"]["name"] == "sample" and doc["dataset"]["num_images"] > 0
    assert doc["archive"]["manifest"]["outlier_data"] is False
    assert 0.0 < doc["overall"]["auroc"] < 1.0
    assert set(doc["by_condition"]["split"]) == {"clear", "adverse"}


def test_closest_and_strict_anchors_t12_t13(folders, tmp_path, capsys) -> None:
    tags = _anchor_json(folders, tmp_path, capsys, "--fpr95", "strict")["by_condition"]["anomaly_type"]
    assert {t: tags[t]["fpr95"] for t in ef.STRICT} == ef.STRICT
    tags = _anchor_json(folders, tmp_path, capsys, "--fpr95", "closest")["by_condition"]["anomaly_type"]
    assert tags["T12"]["fpr95"] == tags["T13"]["fpr95"] == 1.0


def test_bootstrap_compare_and_per_image(folders, tmp_path, capsys) -> None:
    other = ef.write_archive(tmp_path / "other.zip", ef.small_scores(seed=5), manifest={"method": "other"})
    out, per_image = tmp_path / "r.json", tmp_path / "sub" / "images.csv"
    code, text, err = _run(
        _small(
            folders,
            "--bootstrap",
            "40",
            "--seed",
            "3",
            "--ci-level",
            "0.9",
            "--compare",
            str(other),
            "--out",
            str(out),
            "--per-image",
            str(per_image),
        ),
        capsys,
    )
    assert code == 0, err
    doc = json.loads(out.read_text())
    assert doc["settings"]["bootstrap"] == {"resamples": 40, "seed": 3, "ci_level": 0.9}
    assert set(doc["overall"]["ci"]) == {"auprc", "fpr95", "auroc", "tpr_at_5fpr"}
    assert doc["comparison"]["bootstrap"]["resamples"] == 40
    assert doc["comparison"]["against"]["manifest"]["method"] == "other"
    assert set(doc["comparison"]["by_condition"]["weather"]) == set(doc["by_condition"]["weather"])
    assert "Paired comparison A = rand vs B = other" in text
    rows = per_image.read_text().splitlines()
    assert rows[0].startswith("id,weather,landform,anomaly_types,auprc,fpr95,auroc,tpr_at_5fpr,anomaly_fraction")
    assert [r.split(",")[0] for r in rows[1:]] == list(ef.SMALL_IDS)


def test_polarity_confidence_reverses_the_ranking(folders, tmp_path, capsys) -> None:
    docs = []
    for polarity in ("anomaly", "confidence"):
        out = tmp_path / f"{polarity}.json"
        code, _, err = _run(
            _small(folders, "--polarity", polarity, "--out", str(out)),
            capsys,
        )
        assert code == 0, err
        docs.append(json.loads(out.read_text()))
    assert docs[1]["overall"]["auroc"] == pytest.approx(1 - docs[0]["overall"]["auroc"], abs=1e-12)


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--ci-level", "1.5"], "expected a level strictly between 0 and 1"),
        (["--bootstrap", "-1"], "expected a non-negative integer"),
        (["--polarity", "up"], "invalid choice: 'up'"),
        (["--compare", "no-such-b.zip"], "no-such-b.zip: expected an existing zip file or folder"),
    ],
)
def test_bad_statistics_options_exit_2(folders, capsys, argv, needle) -> None:
    code, _, err = _run(_small(folders, *argv), capsys)
    assert code == 2 and needle in err and "Traceback" not in err


def test_summary_subcommand_prints_table_iii(folders, tmp_path, capsys) -> None:
    paths = []
    for name, zip_path, data in (
        ("anchors", folders["anchor_zip"], folders["anchors"]),
        ("small", folders["small_zip"], folders["small"]),
    ):
        paths.append(tmp_path / f"{name}.json")
        code, _, err = _run(["--preds", str(zip_path), "--data", str(data), "--out", str(paths[-1])], capsys)
        assert code == 0, err
    code = main(["summary", *map(str, paths), "--format", "markdown"])
    out, err = capsys.readouterr()
    assert code == 0, err
    header = next(line for line in out.splitlines() if line.startswith("| Method"))
    assert "Mean AUPRC ↑" in header and header.count("FPR95 ↓") == 3
    assert "| anchors |" in out and "| rand |" in out
    (tmp_path / "broken.json").write_text("[]")
    code = main(["summary", str(tmp_path / "broken.json")])
    err = capsys.readouterr().err
    assert code == 2 and "broken.json: expected a results document" in err
    assert main(["summary", "--help"]) == 0 and main(["--help"]) == 0
    capsys.readouterr()


@pytest.mark.slow
def test_invalid_archive_with_early_started_workers_exits_3(folders, tmp_path, capsys) -> None:
    """Workers start before validation (forkserver); an archive they cannot open is still one clean report."""
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 not really a zip file")
    code, _, err = _run(["--preds", str(broken), "--data", str(folders["small"]), "--workers", "2"], capsys)
    assert code == 3 and "comsamy-eval: " in err and "Traceback" not in err
    code, _, err = _run(
        ["--preds", str(folders["small_zip"]), "--data", str(tmp_path / "nothing"), "--workers", "2"], capsys
    )
    assert code == 4 and "Traceback" not in err
