"""Lost & Found (Pinggera et al., IROS 2016), read in its Cityscapes-style release layout.

Release layout::

    leftImg8bit/{train,test}/<NN_scene>/<fid>_leftImg8bit.png        8-bit RGB images
    gtCoarse/{train,test}/<NN_scene>/<fid>_gtCoarse_labelIds.png     8-bit label ids
    gtCoarse/.../<fid>_gtCoarse_{color,instanceIds,labelTrainIds}.png, *_polygons.json, leftImg16bit/, ... (ignored)

Frame ids are ``<NN>_<scene name>_<sequence:06d>_<frame:06d>``. Label ids: 0 unlabelled / ego vehicle /
rectification border (void), 1 free road space (non-anomaly), 2-200 obstacles (anomaly); as in the
SegmentMeIfYouCan loader, any other value is void.
"""

from __future__ import annotations

import re
from pathlib import Path

from comsamy.data.benchmarks.base import Benchmark, Discovery, ImportOptions, Pair
from comsamy.data.benchmarks.labelmap import parse_label_map
from comsamy.errors import DataValidationError

__all__ = ["LOSTANDFOUND", "LafImage", "laf_images"]

IMAGE_SUFFIX = "_leftImg8bit.png"
LABEL_SUFFIX = "_gtCoarse_labelIds.png"
SPLITS = ("train", "test")
FRAME_ID = re.compile(r"^(\d{2}_.+)_(\d{6})_(\d{6})$")


class LafImage:
    """One Lost & Found image: its path, split (``train`` / ``test``) and scene folder."""

    __slots__ = ("path", "scene", "split")

    def __init__(self, path: Path, split: str, scene: str) -> None:
        self.path, self.split, self.scene = path, split, scene


def laf_images(root: Path, *, what: str = "lostandfound") -> dict[str, LafImage]:
    """``{frame id: LafImage}`` for every ``leftImg8bit/{train,test}/*/*_leftImg8bit.png`` under ``root``.

    Raises:
        DataValidationError: ``root`` has no ``leftImg8bit/train`` or ``leftImg8bit/test`` folder.
    """
    found: dict[str, LafImage] = {}
    dirs = [root / "leftImg8bit" / s for s in SPLITS if (root / "leftImg8bit" / s).is_dir()]
    if not dirs:
        raise DataValidationError(
            f"{what}: expected the Lost & Found release (leftImg8bit/train, leftImg8bit/test) in {root}, got none"
        )
    for split_dir in dirs:
        for path in sorted(split_dir.glob(f"*/*{IMAGE_SUFFIX}")):
            found[path.name[: -len(IMAGE_SUFFIX)]] = LafImage(path, split_dir.name, path.parent.name)
    return found


def discover(raw: Path, options: ImportOptions) -> Discovery:
    """Every image of both splits with its ``gtCoarse`` label ids."""
    del options
    images = laf_images(raw)
    problems: list[str] = []
    pairs = []
    for fid, img in images.items():
        label = raw / "gtCoarse" / img.split / img.scene / f"{fid}{LABEL_SUFFIX}"
        rel = f"gtCoarse/{img.split}/{img.scene}/{fid}{LABEL_SUFFIX}"
        if not label.is_file():
            problems.append(
                f"{rel}: expected the label of leftImg8bit/{img.split}/{img.scene}/{fid}{IMAGE_SUFFIX}, "
                "got no such file"
            )
            continue
        m = FRAME_ID.match(fid)
        sequence = f"{m.group(1)}_{m.group(2)}" if m else img.scene
        pairs.append(Pair(fid, img.path, label, subset=img.split, metadata={"scene": img.scene, "sequence": sequence}))
    labels = {
        p.name[: -len(LABEL_SUFFIX)]: p for s in SPLITS for p in (raw / "gtCoarse" / s).glob(f"*/*{LABEL_SUFFIX}")
    }
    for fid in sorted(set(labels) - set(images)):
        problems.append(f"{labels[fid].relative_to(raw).as_posix()}: expected its image {fid}{IMAGE_SUFFIX}, got none")
    return Discovery(tuple(pairs), (), tuple(problems))


LOSTANDFOUND = Benchmark(
    name="lostandfound",
    title="Lost and Found",
    summary="Lost & Found (Pinggera et al., IROS 2016): stereo recordings of small lost cargo on German roads; "
    "the obstacles are the anomalies, the free road space is the non-anomaly class and everything else is void.",
    homepage="http://www.6d-vision.com/lostandfounddataset",
    label_map=parse_label_map("0=255,1=0,2-200=1,*=255"),
    columns=("scene", "sequence"),
    discover=discover,
)
