"""Where ``comsamy-infer`` puts score maps while it runs, so that an interrupted run continues where it stopped.

* ``OUT.zip``: each map is first written, atomically, as ``OUT.zip.resume/<id>.npy`` (float16); when every image
  is scored the maps are streamed into the zip with :class:`comsamy.submission.writer.ArchiveWriter` (the checks
  of ``comsamy-eval``; the archive appears only complete) and the resume folder is removed.
* ``OUT/`` (a folder): maps are written, atomically, straight into it; ``manifest.json`` comes last.

Either way a ``run.json`` records the settings; a second run with other settings is refused (its maps would mix
with the first run's), and a run with the same settings skips every map already written. A map is either
complete or absent: it is written to ``<id>.npy.tmp`` and renamed.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from comsamy.errors import UsageError
from comsamy.submission.container import name_problems

__all__ = ["RUN_FILE", "MapStore"]

logger = logging.getLogger(__name__)

RUN_FILE = "run.json"
_RESUME_SUFFIX = ".resume"


class MapStore:
    """Resumable storage of one run's score maps.

    Args:
        out: ``*.zip`` (an archive) or a folder.
        settings: what makes two runs the same (model, score, data, sizes, dtype ...): JSON values.
        shapes: image id -> (H, W) of every image to score (checked by the archive writer at the end).
    """

    def __init__(self, out: str | Path, *, settings: Mapping[str, Any], shapes: Mapping[str, tuple[int, int]]) -> None:
        self.out = Path(out)
        self.is_zip = self.out.suffix.lower() == ".zip"
        self.work = self.out.with_name(self.out.name + _RESUME_SUFFIX) if self.is_zip else self.out
        self.settings = json.loads(json.dumps(dict(settings), sort_keys=True))
        self.shapes = dict(shapes)
        for image_id in self.shapes:
            if (
                not isinstance(image_id, str)
                or not image_id
                or image_id in (".", "..")
                or "/" in image_id
                or "\\" in image_id
                or "\0" in image_id
                or name_problems(f"{image_id}.npy")
            ):
                raise UsageError(
                    f"expected image ids usable as file and archive member names (no slashes, drive"
                    f" letters or NUL), got {image_id!r}"
                )
        self._open()

    def _open(self) -> None:
        run_file = self.work / RUN_FILE
        if self.work.is_file():
            raise UsageError(f"expected {self.work} to be a folder of score maps, got a file")
        if run_file.is_file():
            try:
                before = json.loads(run_file.read_text(encoding="utf-8"))
            except json.JSONDecodeError:
                before = None
            if before != self.settings:
                changed = sorted(
                    k for k in set(self.settings) | set(before or {}) if (before or {}).get(k) != self.settings.get(k)
                )
                raise UsageError(
                    f"expected the settings of the interrupted run in {self.work} to resume it, got "
                    f"different {changed}; run again with the same settings, or delete {self.work} to "
                    "start over"
                )
            logger.info("resuming %s: %d of %d maps already scored", self.out, len(self.done_ids()), len(self.shapes))
            return
        if not self.is_zip and self.work.is_dir() and any(self.work.iterdir()):
            raise UsageError(
                f"expected {self.work} to be a new or an interrupted output folder, got a folder with "
                "other files; choose another output or delete it"
            )
        self.work.mkdir(parents=True, exist_ok=True)
        tmp = run_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.settings, indent=2, sort_keys=True), encoding="utf-8")
        os.replace(tmp, run_file)

    def _path(self, image_id: str) -> Path:
        return self.work / f"{image_id}.npy"

    def done_ids(self) -> set[str]:
        """Ids of the maps already written (complete files only)."""
        return {i for i in self.shapes if self._path(i).is_file()}

    def put(self, image_id: str, scores: np.ndarray) -> None:
        """Store one (H, W) map as float16, atomically."""
        if image_id not in self.shapes:
            raise UsageError(f"expected an image id of this run, got {image_id!r}")
        want = tuple(self.shapes[image_id])
        if tuple(scores.shape) != want:
            raise UsageError(f"expected the map of {image_id!r} shaped {want}, got {tuple(scores.shape)}")
        path = self._path(image_id)
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as fh:
            np.save(fh, np.ascontiguousarray(scores, dtype=np.float16), allow_pickle=False)
        os.replace(tmp, path)

    def finish(self, manifest: Mapping[str, Any]) -> Path:
        """Write the archive (zip) or the manifest (folder) once every map is there; returns the output path.

        Raises:
            ArchiveError: a map is missing or invalid (the resume folder is kept).
        """
        if self.is_zip:
            from comsamy import ArchiveWriter

            with ArchiveWriter(self.out, data=self.shapes, **dict(manifest)) as writer:
                for image_id in self.shapes:  # a missing map is reported by close(), with every missing id
                    path = self._path(image_id)
                    if path.is_file():
                        writer.add(image_id, np.load(path, allow_pickle=False))
            shutil.rmtree(self.work)
            return self.out
        missing = [i for i in self.shapes if not self._path(i).is_file()]
        if missing:
            raise UsageError(
                f"expected a map for every image in {self.out}, got {len(missing)} missing ({', '.join(missing[:3])})"
            )
        doc = {**dict(manifest), "score_dtype": "float16"}
        tmp = self.work / "manifest.json.tmp"
        tmp.write_text(json.dumps(doc, indent=2, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.work / "manifest.json")
        (self.work / RUN_FILE).unlink()
        return self.out
