"""The training loop: every variant's loss goes down, resume continues identically, config and CLI errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from baselines.checkpoint import load_checkpoint
from baselines.cli.train import main as train_main
from baselines.data import DataConfig, SegmentationTrainSet
from baselines.train_config import TrainConfig
from baselines.training import epoch_batches, train
from comsamy.errors import ConfigError
from tests.baselines.blfixtures import TINY, inlier_rows, write_bank


def _config(tmp_path: Path, model: str, **kw: object) -> TrainConfig:
    base: dict = {
        "model": model,
        "model_config": dict(TINY),
        "out_dir": str(tmp_path / model),
        "steps": 12,
        "batch_size": 2,
        "lr": 3e-3,
        "log_every": 4,
        "ckpt_every": 6,
        "device": "cpu",
        "progress": False,
        "data": {"crop_size": 32, "paste_prob": 1.0, "seed": 1},
    }
    base.update(kw)
    return TrainConfig.from_mapping(base)


@pytest.fixture(scope="module")
def bl_train_set(tmp_path_factory: pytest.TempPathFactory) -> SegmentationTrainSet:
    bank = write_bank(tmp_path_factory.mktemp("bank") / "bank")
    return SegmentationTrainSet(inlier_rows(4), DataConfig(crop_size=32, object_bank=str(bank), seed=1))


@pytest.mark.slow
@pytest.mark.parametrize("model", ["inlier_segmenter", "rpl_energy", "rpl_eel"])
def test_few_steps_reduce_loss(model: str, tmp_path: Path, bl_train_set: SegmentationTrainSet) -> None:
    torch.manual_seed(0)
    result = train(_config(tmp_path, model), train_set=bl_train_set)
    assert result.steps == 12
    assert result.last_loss < result.first_loss, result
    ckpt = load_checkpoint(result.checkpoint)
    assert ckpt["model_name"] == model and ckpt["step"] == 12


@pytest.mark.slow
def test_resume_continues_identically(
    tmp_path: Path, bl_train_set: SegmentationTrainSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    straight = train(_config(tmp_path / "a", "inlier_segmenter", steps=6, ckpt_every=3), train_set=bl_train_set)

    class _Stop(Exception):
        pass

    real_step = torch.optim.Adam.step
    calls = {"n": 0}

    def step_then_crash(self, *a, **k):
        calls["n"] += 1
        if calls["n"] > 3:
            raise _Stop  # the run "dies" during step 4, after the step-3 checkpoint
        return real_step(self, *a, **k)

    cfg = _config(tmp_path / "b", "inlier_segmenter", steps=6, ckpt_every=3)
    monkeypatch.setattr(torch.optim.Adam, "step", step_then_crash)
    with pytest.raises(_Stop):
        train(cfg, train_set=bl_train_set)
    monkeypatch.setattr(torch.optim.Adam, "step", real_step)
    assert load_checkpoint(Path(cfg.out_dir) / "last.pt")["step"] == 3
    resumed = train(
        _config(tmp_path / "b", "inlier_segmenter", steps=6, ckpt_every=3, resume="auto"), train_set=bl_train_set
    )
    assert resumed.steps == 6
    want, got = load_checkpoint(straight.checkpoint), load_checkpoint(resumed.checkpoint)
    for k, v in want["model"].items():
        torch.testing.assert_close(got["model"][k], v, rtol=0, atol=0, msg=k)
    torch.testing.assert_close(got["optimizer"]["state"][0]["exp_avg"], want["optimizer"]["state"][0]["exp_avg"])


def test_epoch_batches_cover_and_split() -> None:
    b = epoch_batches(10, 3, seed=0, epoch=0)
    assert len(b) == 3 and all(len(x) == 3 for x in b)
    assert b == epoch_batches(10, 3, seed=0, epoch=0) and b != epoch_batches(10, 3, seed=0, epoch=1)
    r0 = epoch_batches(10, 1, seed=0, epoch=0, rank=0, world=2)
    r1 = epoch_batches(10, 1, seed=0, epoch=0, rank=1, world=2)
    assert sorted(i for x in r0 + r1 for i in x) == list(range(10))
    assert epoch_batches(3, 8, seed=0, epoch=0) and len(epoch_batches(3, 8, seed=0, epoch=0)[0]) == 3


def test_config_from_yaml_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("model: rpl_energy\nlr: 1e-4\ndata:\n  crop_size: 64\nmodel_config:\n  width: 0.5\n")
    cfg = TrainConfig.from_file(path, ["data.anomaly_id=20", "model_config.structure=[1,1,1,1,1,1]", "steps=3"])
    assert cfg.lr == 1e-4 and cfg.data.crop_size == 64 and cfg.data.anomaly_id == 20 and cfg.steps == 3
    assert cfg.model_config == {"width": 0.5, "structure": [1, 1, 1, 1, 1, 1]}
    assert cfg.to_dict()["data"]["anomaly_id"] == 20
    with pytest.raises(ConfigError, match="unknown"):
        TrainConfig.from_mapping({"lr_typo": 1})
    with pytest.raises(ConfigError, match="data config keys"):
        TrainConfig.from_mapping({"data": {"crop": 3}})
    with pytest.raises(ConfigError, match="key=value"):
        TrainConfig.from_mapping({}, ["steps"])
    with pytest.raises(ConfigError, match="optimizer"):
        TrainConfig.from_mapping({"optimizer": "sgd"})
    with pytest.raises(ConfigError, match="no such file"):
        TrainConfig.from_file(tmp_path / "absent.yaml")


def test_cli_maps_errors_to_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert train_main(["steps=0", "--quiet"]) == 2
    assert "steps >= 1" in capsys.readouterr().err
    assert train_main([str(tmp_path / "absent.yaml")]) == 2
    assert "absent.yaml" in capsys.readouterr().err
    assert train_main(["model=nope", "device=cpu", "--quiet"]) == 2
    assert "baseline name" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("override", "key", "expected"),
    [
        ("steps=abc", "steps", "expected an integer, got 'abc'"),
        ("batch_size=2.5", "batch_size", "expected a whole number, got 2.5"),
        ("lr=fast", "lr", "expected a number, got 'fast'"),
        ("progress=maybe", "progress", "expected true or false, got 'maybe'"),
        ("steps=yes", "steps", "expected an integer, got true"),
        ("data.crop_size=-4", "data.crop_size", "expected data.crop_size >= 0, got -4"),
        ("data.resize=[64]", "data.resize", "expected a list with an item at position 1"),
        ("model_config=3", "model_config", "expected a mapping"),
        ("stepz=10", "stepz", "did you mean steps?"),
        ("data.crop=1", "data.crop", "did you mean data.crop_size?"),
    ],
)
def test_bad_values_give_one_line_naming_the_key(
    override: str, key: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert train_main(["tiny_cpu", override]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith(f"comsamy-train: error: training config: {key} (override {override}): "), err
    assert expected in err


def test_yaml_type_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("steps: abc\nlr: fast\n")
    with pytest.raises(ConfigError) as info:
        TrainConfig.from_file(path)
    assert str(info.value) == (
        "training config: steps (bad.yaml): expected an integer, got 'abc'; "
        "lr (bad.yaml): expected a number, got 'fast'"
    )


@pytest.mark.slow
def test_batch_size_one_is_a_config_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    argv = [
        "model=rpl_eel",
        "model_config.width=0.0625",
        "model_config.structure=[1,1,1,1,1,1]",
        "steps=1",
        "batch_size=1",
        "data.resize=[64,36]",
        "data.crop_size=32",
        "device=cpu",
        f"out_dir={tmp_path}",
    ]
    assert train_main([*argv, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "expected batches of at least 2 images for model 'rpl_eel'" in err
    assert "without an inlier checkpoint" in caplog.text  # warned first: rpl_eel has no pretrained segmenter
    assert not (tmp_path / "last.pt").exists()


def test_missing_weights_warning() -> None:
    from baselines.training import missing_weights_warning

    assert "model_config.pretrained" in missing_weights_warning(TrainConfig.from_mapping({"model": "rpl_energy"}))
    assert missing_weights_warning(TrainConfig.from_file("tiny_cpu")) is None
    assert missing_weights_warning(TrainConfig.from_mapping({"model": "inlier_segmenter"})) is None
    assert "random backbone" in missing_weights_warning(TrainConfig.from_file("mask2anomaly_tiny"))
    m2a = TrainConfig.from_mapping({"model": "mask2anomaly", "model_config": {"backbone": "facebook/x"}})
    assert missing_weights_warning(m2a) is None


def test_packaged_configs_resolve_by_name_and_by_old_path(capsys: pytest.CaptureFixture[str]) -> None:
    from baselines.configs import CONFIG_DIR, available_configs, resolve_config

    names = available_configs()
    assert {"tiny_cpu", "tiny_inlier", "inlier_segmenter", "rpl_eel", "rpl_energy", "mask2anomaly"} <= set(names)
    assert resolve_config("tiny_cpu") == resolve_config("configs/tiny_cpu.yaml") == CONFIG_DIR / "tiny_cpu.yaml"
    for name in names:  # every packaged config is a valid training config
        assert TrainConfig.from_file(name).steps >= 1
    with pytest.raises(ConfigError, match="packaged config name among"):
        resolve_config("tiny_gpu")
    with pytest.raises(ConfigError, match="no such file"):
        resolve_config("/elsewhere/tiny_cpu.yaml")  # a full path is never replaced by a packaged config
    assert train_main(["--list"]) == 0
    assert capsys.readouterr().out.split() == names
    assert train_main(["tiny_cpu", "steps"]) == 2
    assert "key=value" in capsys.readouterr().err


def test_model_config_values_are_typed_too(capsys: pytest.CaptureFixture[str]) -> None:
    for override, expected in (
        ("model_config.width=abc", "model_config.width (the config of 'rpl_eel'): expected a number, got 'abc'"),
        ("model_config.use_kl=maybe", "model_config.use_kl (the config of 'rpl_eel'): expected true or false"),
        ("model_config.lam=-1", "model_config.lam (the config of 'rpl_eel'): expected lam >= 0, got -1.0"),
    ):
        assert train_main(["tiny_cpu", override, "--quiet"]) == 2
        err = capsys.readouterr().err
        assert expected in err and err.count("\n") == 1, err
