"""The packaged mask2anomaly*.yaml configs (baselines/configs/) parse as training configs and describe valid models."""

from __future__ import annotations

import pytest

from baselines.configs import CONFIG_DIR as CONFIGS
from baselines.mask2anomaly.config import Mask2AnomalyConfig


@pytest.mark.parametrize(
    ("name", "variant", "size"),
    [
        ("mask2anomaly.yaml", "mask2anomaly", "paper"),
        ("mask2anomaly_diffeel.yaml", "mask2anomaly_diffeel", "paper"),
        ("mask2anomaly_tiny.yaml", "mask2anomaly_diffeel", "tiny"),
    ],
)
def test_config_files(name, variant, size):
    from baselines.train_config import TrainConfig

    cfg = TrainConfig.from_file(CONFIGS / name)
    assert cfg.model == variant
    model_config = dict(cfg.model_config)
    assert model_config.pop("size") == size
    m2a = Mask2AnomalyConfig.preset(size, variant=variant, **model_config)
    if size == "paper":
        assert (cfg.lr, cfg.weight_decay, cfg.batch_size, cfg.steps, cfg.optimizer) == (1e-5, 0.05, 8, 4000, "adamw")
        assert (m2a.lambda_ce, m2a.lambda_anomaly, m2a.decoder_layers, m2a.num_queries) == (1.0, 0.05, 9, 100)
        # the official Mask2Anomaly behaviours are the paper config's defaults
        assert m2a.freeze_backbone and m2a.refine_weighted and m2a.refine_classes == tuple(range(2, 11))
