"""The study protocol's config: presets, validation of bad values, stable hashes."""

from __future__ import annotations

import pytest

from baselines.study.config import LOSSES, PRESETS, StudyConfig, stable_hash
from comsamy.errors import ConfigError


def test_presets_give_every_loss_the_same_tuning_budget() -> None:
    for name, cfg in PRESETS.items():
        assert cfg.name == name
        assert sorted(cfg.lam_grid) == sorted(LOSSES)
        assert len({len(v) for v in cfg.lam_grid.values()}) == 1
    assert len(PRESETS["full"].seeds) >= 5
    assert len(PRESETS["smoke"].seeds) == 1


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"seeds": ()}, "seeds"),
        ({"seeds": (1, 1)}, "seeds"),
        ({"lam_grid": {"eel": (0.1,)}}, "lam_grid"),
        ({"lam_grid": {"eel": (0.1, 0.2), "energy": (0.1,)}}, "same tuning budget"),
        ({"lam_grid": {"eel": (0.0,), "energy": (0.1,)}}, "lam > 0"),
        ({"rpl_steps": 0}, "rpl_steps"),
        ({"test_images": 3}, "test_images"),
        ({"ci_level": 1.5}, "ci_level"),
    ],
)
def test_bad_configs_name_the_field(change: dict, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        StudyConfig(**change)


def test_hashes_are_stable_and_the_data_hash_ignores_training_settings() -> None:
    assert stable_hash({"a": 1, "b": (1, 2)}) == stable_hash({"b": [1, 2], "a": 1})
    assert stable_hash({"a": 1}) != stable_hash({"a": 2})
    base = PRESETS["quick"]
    assert base.replace(rpl_steps=7).data_dict() == base.data_dict()
    assert base.replace(test_images=57).data_dict() != base.data_dict()
    assert stable_hash(base.to_dict()) == stable_hash(StudyConfig(**base.__dict__).to_dict())
