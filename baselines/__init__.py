"""Reference anomaly-segmentation baselines of ComsAmy: scores, losses, RPL, Mask2Anomaly, DiffEEL synthesis."""
