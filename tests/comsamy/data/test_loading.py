"""Name resolution, the stale-cache guard, offline errors and the repository-root trap."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

import comsamy
from comsamy.constants import DEFAULT_HUB_REPO
from comsamy.data import export_release, load_dataset, resolve, sample_path
from comsamy.data.loading import example_predictions_path
from comsamy.errors import DataNotAvailableError, UsageError
from tests.comsamy.data.rawfactory import make_raw_release

REPO_ROOT = Path(comsamy.__file__).resolve().parent.parent


def test_resolution_order(exported: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    _, out = exported
    assert resolve(out) == ("local", str(out.resolve()))
    assert resolve(str(out)) == ("local", str(out.resolve()))
    assert resolve("comsamy") == ("hub", DEFAULT_HUB_REPO)
    monkeypatch.setenv("COMSAMY_HUB_REPO", "someone/mirror")
    assert resolve("comsamy") == ("hub", "someone/mirror")
    monkeypatch.setenv("COMSAMY_DATA", str(out))
    assert resolve("comsamy") == ("local", str(out.resolve()))
    assert resolve("org/other") == ("hub", "org/other")
    assert resolve("sample") == ("local", str(sample_path()))
    assert example_predictions_path().parent == sample_path().parent


def test_env_var_pointing_nowhere_says_how_to_get_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMSAMY_DATA", str(tmp_path / "missing"))
    with pytest.raises(DataNotAvailableError, match="COMSAMY_DATA") as info:
        load_dataset("comsamy")
    assert "comsamy-data fetch --to DIR" in str(info.value)
    assert info.value.exit_code == 4


def test_offline_without_local_copy_says_how_to_get_one(tmp_path: Path) -> None:
    # the autouse fixture puts huggingface_hub and datasets in offline mode
    with pytest.raises(DataNotAvailableError) as info:
        load_dataset("comsamy", config="all", split="test", cache_dir=str(tmp_path))
    message = str(info.value)
    assert DEFAULT_HUB_REPO in message
    assert "comsamy-data fetch --to DIR" in message and "COMSAMY_DATA=DIR" in message
    assert "\n" not in message


def test_bad_names_and_configs_are_usage_errors(exported: tuple[Path, Path]) -> None:
    _, out = exported
    with pytest.raises(UsageError, match="got 'not a name'"):
        load_dataset("not a name")
    with pytest.raises(UsageError, match="expected a config in"):
        load_dataset(out, config="snow")
    with pytest.raises(DataNotAvailableError, match="not a dataset folder"):
        load_dataset(out / "data")


def test_regenerated_folder_is_never_read_from_a_stale_cache(tmp_path: Path) -> None:
    """datasets keys a local folder's cache by its name and config: regenerate under the same name."""
    out = tmp_path / "comsamy-copy"
    export_release(make_raw_release(tmp_path / "raw1", n=7, seed=1, inliers=0), out)
    first = load_dataset(out, config="all", split="test").cast_column("label", _undecoded())
    # same name, same ids, same number of rows, different pixels
    export_release(make_raw_release(tmp_path / "raw2", n=7, seed=2, inliers=0), out, force=True)
    second = load_dataset(out, config="all", split="test").cast_column("label", _undecoded())
    assert first["id"] == second["id"]
    expected = [(tmp_path / "raw2" / "labels" / f"{i}.png").read_bytes() for i in second["id"]]
    assert [r["bytes"] for r in second["label"]] == expected
    assert [r["bytes"] for r in first["label"]] != expected
    # another folder with the same name elsewhere
    other = tmp_path / "elsewhere" / "comsamy-copy"
    export_release(make_raw_release(tmp_path / "raw3", n=7, seed=3, inliers=0), other)
    third = load_dataset(other, config="all", split="test").cast_column("label", _undecoded())
    assert third["label"][0]["bytes"] == (tmp_path / "raw3" / "labels" / "img000.png").read_bytes()


def test_plain_datasets_would_serve_stale_rows(tmp_path: Path) -> None:
    """The hazard the guard exists for (if datasets fixes it, this test tells us to drop the guard)."""
    import datasets

    out = tmp_path / "copy"
    export_release(make_raw_release(tmp_path / "raw1", n=7, seed=1, inliers=0), out)
    cache = str(tmp_path / "cache")
    ds1 = datasets.load_dataset(str(out), "all", split="test", cache_dir=cache)
    export_release(make_raw_release(tmp_path / "raw2", n=7, seed=2, inliers=0), out, force=True)
    ds2 = datasets.load_dataset(str(out), "all", split="test", cache_dir=cache)
    assert ds1.cast_column("label", _undecoded())["label"] == ds2.cast_column("label", _undecoded())["label"]


def _undecoded():
    from datasets import Image

    return Image(decode=False)


def test_old_cache_versions_are_pruned(tmp_path: Path, _isolated_hf_caches: Path) -> None:
    out = tmp_path / "copy"
    export_release(make_raw_release(tmp_path / "raw1", n=2, seed=1, inliers=0), out)
    load_dataset(out, config="all", split="test")
    export_release(make_raw_release(tmp_path / "raw2", n=2, seed=2, inliers=0), out, force=True)
    load_dataset(out, config="all", split="test")
    key = hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:16]
    assert len(list((_isolated_hf_caches / "comsamy-local").glob(f"{key}-*"))) == 1


def test_datasets_load_dataset_from_repo_root_fails_clearly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """./comsamy is the package source: datasets must not read it as data (comsamy/.huggingface.yaml)."""
    import datasets

    root = tmp_path / "root"
    shutil.copytree(
        REPO_ROOT / "comsamy", root / "comsamy", ignore=shutil.ignore_patterns("__pycache__", "sample_data")
    )
    assert (root / "comsamy" / ".huggingface.yaml").is_file()
    # parquet files inside the package, as in the real one, that datasets would otherwise misread as a train split
    export_release(make_raw_release(tmp_path / "raw", n=2, inliers=1), root / "comsamy" / "sample_data" / "s")
    monkeypatch.chdir(root)
    with pytest.raises(FileNotFoundError, match="comsamy Python package"):
        datasets.load_dataset("comsamy", cache_dir=str(tmp_path / "cache"))
    # comsamy.load_dataset does not mistake the package folder for a local copy either
    assert resolve("comsamy") == ("hub", DEFAULT_HUB_REPO)
