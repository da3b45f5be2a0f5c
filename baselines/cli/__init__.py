"""Console commands of the baselines (training, inference)."""
