"""Export a validated raw release to the published layout (README card + parquet shards), atomically.

Images and labels are embedded as ``{"bytes", "path"}`` structs, exactly as ``datasets``' ``Image`` feature
stores them; labels are the source PNG bytes unchanged (only palette masks, on request, are re-encoded).
Everything is written into a temporary folder beside ``out`` and renamed into place at the end, so an
invalid release or a failure leaves nothing behind.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from comsamy.constants import LANDFORMS, WEATHERS
from comsamy.data.card import CardOptions, render_card
from comsamy.data.images import released_image_bytes, released_label_bytes
from comsamy.data.layout import INLIER_SHARD, weather_shard
from comsamy.data.raw import RawItem, RawRelease, validate_raw_release
from comsamy.data.staging import ROW_GROUP_SIZE, check_out, open_shard_writer, staged_folder

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExportSummary:
    """What :func:`export_release` wrote."""

    out: Path
    num_test: int
    num_inliers: int
    shards: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "out": str(self.out),
            "num_test": self.num_test,
            "num_inliers": self.num_inliers,
            "shards": list(self.shards),
        }


def _ext(item: RawItem) -> str:
    return ".jpg" if item.image_info.format == "JPEG" else ".png"


def _write_shard(path: Path, items: Sequence[RawItem], *, inliers: bool, advance: Callable[[int], object]) -> None:
    import pyarrow as pa

    from comsamy.data.features import benchmark_features, inlier_features

    features = inlier_features() if inliers else benchmark_features()
    schema = features.arrow_schema
    with open_shard_writer(path, schema) as writer:
        for start in range(0, len(items), ROW_GROUP_SIZE):
            chunk = items[start : start + ROW_GROUP_SIZE]
            columns: dict[str, list[object]] = {
                "id": [i.id for i in chunk],
                "image": [
                    {"bytes": released_image_bytes(i.image, i.image_info), "path": i.id + _ext(i)} for i in chunk
                ],
                "label": [{"bytes": released_label_bytes(i.label, i.label_info), "path": i.id + ".png"} for i in chunk],
                "weather": [WEATHERS.index(i.weather) for i in chunk],
                "landform": [LANDFORMS.index(i.landform) for i in chunk],
            }
            if not inliers:
                columns["anomaly_types"] = [list(i.anomaly_types) for i in chunk]
            writer.write_table(pa.Table.from_pydict(columns, schema=schema), row_group_size=ROW_GROUP_SIZE)
            advance(len(chunk))


def write_release(
    release: RawRelease, out: str | Path, *, options: CardOptions, force: bool = False, progress: bool = False
) -> ExportSummary:
    """Write an already validated release to ``out`` (see :func:`export_release`)."""
    from tqdm.auto import tqdm

    out = Path(out).absolute()
    shards: list[str] = []
    with staged_folder(out, force=force) as tmp:
        total = len(release.test) + len(release.inliers)
        with tqdm(total=total, desc="Exporting", unit="example", disable=not progress) as bar:
            for weather in WEATHERS:
                items = [i for i in release.test if i.weather == weather]
                if items:  # no shard (and no config) for a weather without images
                    _write_shard(tmp / weather_shard(weather), items, inliers=False, advance=bar.update)
                    shards.append(weather_shard(weather))
            if release.inliers:
                _write_shard(tmp / INLIER_SHARD, release.inliers, inliers=True, advance=bar.update)
                shards.append(INLIER_SHARD)
        (tmp / "README.md").write_text(render_card(release.test, release.inliers, options), encoding="utf-8")
    logger.info("exported %d test and %d inlier examples to %s", len(release.test), len(release.inliers), out)
    return ExportSummary(out, len(release.test), len(release.inliers), tuple(shards))


def export_release(
    raw: str | Path,
    out: str | Path,
    *,
    convert_palette: bool = False,
    synthetic: bool = False,
    title: str = "ComsAmy",
    purpose: str = "",
    force: bool = False,
    progress: bool = False,
) -> ExportSummary:
    """Validate a raw release and export it to the published layout.

    Args:
        raw: the raw release folder (``images/``, ``labels/``, ``metadata.csv``, optional ``inliers/``).
        out: the folder to create; it must not exist or be empty unless ``force``.
        convert_palette: accept palette label PNGs, converting them to mode ``L`` by index.
        synthetic: the card states that the data is synthetic.
        title: the card's title.
        purpose: an optional paragraph of the card on what this copy is for.
        force: replace a non-empty ``out``.
        progress: show progress bars.

    Returns:
        What was written.

    Raises:
        DataValidationError: the release is invalid (every problem listed; nothing written).
        UsageError: ``out`` is a file or a non-empty folder without ``force``.
    """
    check_out(Path(out), force)
    release = validate_raw_release(raw, convert_palette=convert_palette, progress=progress)
    options = CardOptions(synthetic=synthetic, title=title, purpose=purpose)
    return write_release(release, out, options=options, force=force, progress=progress)


__all__ = ["ExportSummary", "export_release", "write_release"]
