"""The paper's Table II as reference rows: reported by the authors, not scored here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PAPER = "ComsAmy paper, Table II"


@dataclass(frozen=True)
class ReferenceRow:
    """One method's reported AUPRC / FPR95 (percent) on clear, adverse and whole."""

    method: str
    clear_auprc: float
    clear_fpr95: float
    adverse_auprc: float
    adverse_fpr95: float
    whole_auprc: float
    whole_fpr95: float

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict view."""
        return dict(self.__dict__)


TABLE_II: tuple[ReferenceRow, ...] = (
    ReferenceRow("Maximum Softmax [ICLR17]", 32.85, 68.32, 19.28, 83.06, 25.79, 75.31),
    ReferenceRow("DenseHybrid [ECCV22]", 29.42, 96.27, 24.96, 94.84, 28.02, 95.64),
    ReferenceRow("Meta_OoD [ICCV21]", 55.16, 58.51, 49.82, 55.00, 56.52, 54.90),
    ReferenceRow("PEBAL [ECCV22]", 40.38, 55.41, 21.33, 84.16, 31.50, 68.70),
    ReferenceRow("RPL [ICCV23]", 65.42, 43.60, 49.67, 61.42, 59.43, 50.73),
    ReferenceRow("M2A [TPAMI24]", 68.87, 62.03, 47.30, 59.67, 60.67, 60.21),
    ReferenceRow("RPL+DiffEEL [paper]", 72.49, 32.86, 54.70, 47.32, 66.12, 38.76),
    ReferenceRow("M2A+DiffEEL [paper]", 72.85, 31.52, 52.34, 54.09, 64.75, 42.53),
)
