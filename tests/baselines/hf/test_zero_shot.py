"""``comsamy-infer --model``: tiny random SegFormer / Mask2Former checkpoints, saved and loaded back offline, scored
zero-shot; the archives are checked against the score formulas computed directly on the models' own outputs."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from baselines.base import IMAGE_MEAN, IMAGE_STD
from baselines.cli.infer import main as infer_main
from baselines.inference import predict_archive
from comsamy.errors import ConfigError, UsageError
from tests.baselines.blfixtures import np_entropy, np_logsumexp, np_softmax, scene
from tests.baselines.hf.tiny_models import tiny_mask2former, tiny_maskformer, tiny_segformer
from tests.baselines.test_inference import _benchmark_rows

SIZE = (64, 96)  # model input (H, W), a multiple of 32: no padding
LABEL = (30, 40)  # label size the maps are resized to


@pytest.fixture(scope="module")
def segformer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_segformer(tmp_path_factory.mktemp("hf") / "segformer", processor=True)


@pytest.fixture(scope="module")
def mask2former(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_mask2former(tmp_path_factory.mktemp("hf") / "mask2former")


@pytest.fixture(scope="module")
def maskformer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_maskformer(tmp_path_factory.mktemp("hf") / "maskformer")


def _rows(n: int = 2) -> object:
    """Benchmark rows whose images are SIZE and labels LABEL (the maps must come back at the label's size)."""
    import datasets
    from PIL import Image

    rows = _benchmark_rows(n).to_dict()
    rows["image"] = [Image.fromarray(scene(20 + i, *SIZE)[0]) for i in range(n)]
    features = _benchmark_rows(1).features
    return datasets.Dataset.from_dict(rows, features=features)


def _archive_maps(path: Path) -> dict[str, np.ndarray]:
    with zipfile.ZipFile(path) as zf:
        return {n[:-4]: np.load(io.BytesIO(zf.read(n))) for n in zf.namelist() if n.endswith(".npy")}


def _pixel_values(image: np.ndarray, mean: tuple, std: tuple) -> torch.Tensor:
    x = torch.from_numpy(image.copy()).permute(2, 0, 1).float()[None] / 255.0
    return (x - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)


def _formula(score: str, y: np.ndarray, *, maskwise: bool) -> np.ndarray:
    """The paper's scores written out in float64 on per-pixel class scores y (1, C, H, W)."""
    if score == "msp":
        return 1.0 - (y.max(axis=1) if maskwise else np_softmax(y).max(axis=1))
    if score == "max_logit":
        return -y.max(axis=1)
    if score == "entropy":
        return np_entropy(y)
    if score == "energy":
        return -np_logsumexp(y)
    return np_entropy(y) - np_logsumexp(y)


@pytest.mark.parametrize("score", ["msp", "maxlogit", "entropy", "energy", "eel"])
def test_segformer_archive_matches_the_formulas_on_its_logits(segformer: Path, tmp_path: Path, score: str) -> None:
    from transformers import SegformerForSemanticSegmentation

    from comsamy.evaluation import evaluate_archive

    rows = _rows()
    out = tmp_path / "preds.zip"
    result = predict_archive(str(segformer), out, data=rows, score=score, device="cpu", progress=False)
    assert result.manifest["model_kind"] == "transformers" and result.manifest["outlier_data"] is False
    maps = _archive_maps(out)
    model = SegformerForSemanticSegmentation.from_pretrained(segformer).eval()
    for i, image_id in enumerate(["img0", "img1"]):
        x = _pixel_values(np.asarray(rows[i]["image"]), (0.5, 0.4, 0.3), (0.2, 0.25, 0.3))  # the processor's
        with torch.no_grad():
            logits = F.interpolate(model(pixel_values=x).logits, size=LABEL, mode="bilinear", align_corners=False)
        want = _formula("max_logit" if score == "maxlogit" else score, logits.double().numpy(), maskwise=False)[0]
        assert maps[image_id].shape == LABEL and maps[image_id].dtype == np.float16
        np.testing.assert_allclose(maps[image_id].astype(np.float64), want, rtol=2e-3, atol=2e-3)
    report = evaluate_archive(out, rows, config=None, split=None, workers=1, progress=False)
    assert report.overall.num_images == 2 and 0.0 <= report.overall.auprc <= 1.0


@pytest.mark.parametrize(
    ("kind", "score"),
    [("mask2former", "msp"), ("mask2former", "energy"), ("mask2former", "eel"), ("maskformer", "msp")],
)
def test_mask_models_archive_the_maskwise_scores(
    request: pytest.FixtureRequest, tmp_path: Path, kind: str, score: str
) -> None:
    import transformers

    folder = request.getfixturevalue(kind)
    rows = _rows(1)
    out = tmp_path / "preds.zip"
    result = predict_archive(str(folder), out, data=rows, score=score, device="cpu", progress=False)
    assert result.manifest["model_config"]["maskwise"] is True
    got = _archive_maps(out)["img0"]
    cls = (
        transformers.Mask2FormerForUniversalSegmentation
        if kind == "mask2former"
        else transformers.MaskFormerForInstanceSegmentation
    )
    model = cls.from_pretrained(folder).eval()
    x = _pixel_values(np.asarray(rows[0]["image"]), IMAGE_MEAN, IMAGE_STD)  # no processor saved: ImageNet's
    with torch.no_grad():
        out_m = model(pixel_values=x)
    masks = F.interpolate(out_m.masks_queries_logits, size=LABEL, mode="bilinear", align_corners=False)
    cls = torch.softmax(out_m.class_queries_logits.double(), dim=-1)[..., :-1].numpy()
    y = np.einsum("nqc,nqhw->nchw", cls, 1.0 / (1.0 + np.exp(-masks.double().numpy())))
    np.testing.assert_allclose(got.astype(np.float64), _formula(score, y, maskwise=True)[0], rtol=2e-3, atol=2e-3)


def test_image_folder_batches_padding_and_dtypes(segformer: Path, tmp_path: Path) -> None:
    from PIL import Image

    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(3):
        Image.fromarray(scene(i, 40, 56)[0]).save(photos / f"frame{i}.png")  # 40 x 56: padded to 64 x 64
    one = predict_archive(str(segformer), tmp_path / "one", images=photos, score="eel", device="cpu", progress=False)
    two = predict_archive(
        str(segformer), tmp_path / "two", images=photos, score="eel", device="cpu", batch_size=2, progress=False
    )
    assert one.num_images == two.num_images == 3
    for i in range(3):
        a, b = np.load(tmp_path / "one" / f"frame{i}.npy"), np.load(tmp_path / "two" / f"frame{i}.npy")
        assert a.shape == (40, 56)
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-3)
    half = predict_archive(
        str(segformer), tmp_path / "bf16", images=photos, score="eel", device="cpu", dtype="bfloat16", progress=False
    )
    assert half.manifest["model_kind"] == "transformers"
    a, b = np.load(tmp_path / "one" / "frame0.npy"), np.load(tmp_path / "bf16" / "frame0.npy")
    assert np.corrcoef(a.ravel().astype(np.float64), b.ravel().astype(np.float64))[0, 1] > 0.9


def test_an_interrupted_run_resumes_and_other_settings_are_refused(
    segformer: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from baselines import inference

    rows = _rows(3)
    full = tmp_path / "full.zip"
    predict_archive(str(segformer), full, data=rows, score="energy", device="cpu", progress=False)
    calls = {"n": 0}
    real = inference._Scorer.__call__

    def dies_after_two(self: object, batch: np.ndarray, out_size: tuple[int, int]) -> np.ndarray:
        calls["n"] += 1
        if calls["n"] > 2:
            raise KeyboardInterrupt
        return real(self, batch, out_size)  # type: ignore[arg-type]

    out = tmp_path / "preds.zip"
    monkeypatch.setattr(inference._Scorer, "__call__", dies_after_two)
    with pytest.raises(KeyboardInterrupt):
        predict_archive(str(segformer), out, data=rows, score="energy", device="cpu", progress=False)
    assert not out.exists() and sorted(p.name for p in (tmp_path / "preds.zip.resume").glob("*.npy")) == [
        "img0.npy",
        "img1.npy",
    ]
    monkeypatch.setattr(inference._Scorer, "__call__", real)
    with pytest.raises(UsageError, match=r"different \['score'\]"):
        predict_archive(str(segformer), out, data=rows, score="eel", device="cpu", progress=False)
    result = predict_archive(str(segformer), out, data=rows, score="energy", device="cpu", progress=False)
    assert result.resumed == 2 and not (tmp_path / "preds.zip.resume").exists()
    resumed, whole = _archive_maps(out), _archive_maps(full)
    assert sorted(resumed) == sorted(whole)
    for key in whole:
        np.testing.assert_array_equal(resumed[key], whole[key])


def test_command_line_and_its_errors(segformer: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from PIL import Image

    photos = tmp_path / "photos"
    photos.mkdir()
    Image.fromarray(scene(3, 32, 32)[0]).save(photos / "a.jpg")
    out = tmp_path / "maps.zip"
    assert (
        infer_main(
            [
                "--model",
                str(segformer),
                "--score",
                "msp",
                "--images",
                str(photos),
                str(out),
                "--quiet",
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed["num_images"] == 1 and printed["archive"] == str(out)
    with zipfile.ZipFile(out) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["score"] == "msp" and manifest["model"] == "SegformerForSemanticSegmentation"
    assert infer_main(["--model", str(segformer), str(out), str(out), "--images", str(photos), "--quiet"]) == 2
    assert "either as --model or as the first path" in capsys.readouterr().err
    assert (
        infer_main(["--model", "nobody/no-such-model", str(tmp_path / "x.zip"), "--images", str(photos), "--quiet"])
        == 2
    )
    assert "nobody/no-such-model" in capsys.readouterr().err
    not_seg = tmp_path / "resnet"
    from transformers import ResNetConfig, ResNetModel

    ResNetModel(ResNetConfig(embedding_size=8, hidden_sizes=[8, 8, 8, 8], depths=[1, 1, 1, 1])).save_pretrained(not_seg)
    with pytest.raises(ConfigError, match="semantic-segmentation head"):
        predict_archive(str(not_seg), tmp_path / "y.zip", images=photos, device="cpu", progress=False)
    with pytest.raises(UsageError, match="--images"):
        predict_archive(str(segformer), tmp_path / "z.zip", images=tmp_path / "absent", device="cpu", progress=False)


def test_an_id_that_would_escape_the_output_folder_is_refused(tmp_path: Path) -> None:
    from baselines.map_store import MapStore

    with pytest.raises(UsageError, match="no slashes"):
        MapStore(tmp_path / "out.zip", settings={}, shapes={"../../escaped": (2, 2)})
    with pytest.raises(UsageError, match="no slashes"):
        MapStore(tmp_path / "out", settings={}, shapes={"..": (2, 2)})
    assert not (tmp_path / "escaped.npy").exists() and not (tmp_path.parent / "escaped.npy").exists()
    store = MapStore(tmp_path / "maps", settings={"a": 1}, shapes={"x": (2, 3)})
    with pytest.raises(UsageError, match=r"shaped \(2, 3\)"):
        store.put("x", np.zeros((3, 2)))
    with pytest.raises(UsageError, match="missing"):
        store.finish({"method": "m"})
