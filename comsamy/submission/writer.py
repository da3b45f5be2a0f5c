"""Write a prediction archive from any inference loop: :class:`ArchiveWriter` (numpy only, no torch).

Each :meth:`ArchiveWriter.add` checks one score map (its shape against the dataset when one is given, its values)
with the messages ``comsamy-eval`` uses, and streams it into the zip as a float16 ``.npy`` member, so memory stays
at one map whatever the number of images. The archive appears at ``path`` only when :meth:`ArchiveWriter.close`
finds every image; until then it is written to ``<path>.partial``.

Example:
    >>> import os, tempfile, zipfile
    >>> import numpy as np
    >>> from comsamy import ArchiveWriter
    >>> out = os.path.join(tempfile.mkdtemp(), "preds.zip")
    >>> with ArchiveWriter(out, method="my method") as writer:
    ...     writer.add("img_0", np.zeros((2, 3), np.float32))
    >>> sorted(zipfile.ZipFile(out).namelist())
    ['img_0.npy', 'manifest.json']
"""

from __future__ import annotations

import json
import logging
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from comsamy.errors import ArchiveError, UsageError
from comsamy.submission import messages as msg
from comsamy.submission.container import name_problems
from comsamy.submission.formats import squeeze_singleton
from comsamy.submission.reader import value_problems
from comsamy.submission.validate import MANIFEST_NAME, check_manifest

__all__ = ["ArchiveWriter"]

log = logging.getLogger(__name__)
_INTEGER_DTYPES = ("uint8", "uint16")


def _expected_shapes(data: Any, config: str | None, split: str | None) -> dict[str, tuple[int, int]] | None:
    """Image id -> (H, W) of ``data``: None, a mapping, a loaded dataset view, or what ``--data`` takes."""
    if data is None:
        return None
    if isinstance(data, Mapping) and not hasattr(data, "column_names"):
        return {str(k): (int(v[0]), int(v[1])) for k, v in data.items()}
    from comsamy.evaluation.dataset import DatasetView, load_view

    view = data if isinstance(data, DatasetView) else load_view(data, config=config, split=split)
    return view.shapes


class ArchiveWriter:
    """A context manager that writes a ``comsamy-eval`` archive one score map at a time.

    Args:
        path: the zip file to write (its folder is created). An existing file is replaced only by a complete
            archive, at :meth:`close`.
        data: the dataset the archive scores, to check ids and shapes as each map is added: what
            ``comsamy-eval --data`` takes (``"sample"``, a folder, a Hub id), a loaded ``datasets.Dataset``, a
            :class:`~comsamy.evaluation.DatasetView`, or a mapping ``id -> (H, W)``. None: no id or shape checks.
        config: dataset config when ``data`` is loaded by name.
        split: dataset split when ``data`` is loaded by name.
        compress: deflate members (default) or store them.
        **manifest: ``manifest.json`` keys (``method``, ``team``, ``description``, ``paper``, ``code``, ``backbone``,
            ``extra_data``, ``outlier_data``, ``polarity``, ...); ``score_dtype`` is filled in. JSON values only.

    Raises:
        UsageError: a manifest value that is not JSON, or a bad option.
        ArchiveError: from :meth:`add` and :meth:`close`, with the messages of ``comsamy-eval``.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        data: Any = None,
        *,
        config: str | None = "all",
        split: str | None = "test",
        compress: bool = True,
        **manifest: Any,
    ) -> None:
        self.path = Path(path)
        try:
            text = json.dumps(manifest, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise UsageError(f"{MANIFEST_NAME}: expected JSON values for every keyword, got {exc}") from exc
        problems = check_manifest(json.loads(text))
        if problems:
            raise UsageError(f"{MANIFEST_NAME}: {'; '.join(problems)}")
        self._manifest: dict[str, Any] = json.loads(text)
        self._expected = _expected_shapes(data, config, split)
        self._written: dict[str, str] = {}  # image id -> member name
        self._kinds: dict[str, list[str]] = {"float": [], "integer": []}
        self._dtypes: set[str] = set()
        self.partial_path = self.path.with_name(self.path.name + ".partial")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        compression = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        self._zip: zipfile.ZipFile | None = zipfile.ZipFile(
            self.partial_path, "w", compression=compression, compresslevel=1 if compress else None
        )

    def __enter__(self) -> ArchiveWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.close()
        else:  # the loop failed: keep what was written, never replace an archive at path
            self._finish_partial()

    def __len__(self) -> int:
        return len(self._written)

    def _refuse(self, problem: str) -> ArchiveError:
        return ArchiveError(f"{self.path}: {problem}", [problem])

    def _prepare(self, image_id: str, scores: Any) -> tuple[str, np.ndarray]:
        if self._zip is None:
            raise UsageError(f"{self.path}: expected add() before close(), got add({image_id!r}) after close")
        if not isinstance(image_id, str) or not image_id or "/" in image_id or "\\" in image_id:
            raise UsageError(f"image_id: expected a dataset id (a non-empty name without slashes), got {image_id!r}")
        name = f"{image_id}.npy"
        refused = name_problems(name)  # what comsamy-eval would refuse (a drive letter, '..', NUL) is refused now
        if refused:
            raise UsageError(
                f"image_id: expected a dataset id usable as a member name, got {image_id!r} ({refused[0]})"
            )
        if image_id in self._written:
            raise self._refuse(msg.duplicate_id(image_id, [self._written[image_id], name]))
        if self._expected is not None and image_id not in self._expected:
            raise self._refuse(msg.unknown_ids([name]))
        arr = np.asarray(scores)
        dtype = arr.dtype.newbyteorder("=") if arr.dtype.byteorder not in ("|", "=") else arr.dtype
        if dtype.kind != "f" and dtype.name not in _INTEGER_DTYPES:
            raise self._refuse(
                msg.member_problem(
                    name, f"expected float scores (stored as float16) or uint8 / uint16 integer scores, got {arr.dtype}"
                )
            )
        shape = squeeze_singleton(arr.shape)
        want = self._expected[image_id] if self._expected is not None else shape
        if len(shape) != 2:
            raise self._refuse(msg.not_2d(name, tuple(want), tuple(arr.shape)))
        if self._expected is not None and shape != tuple(want):
            raise self._refuse(msg.wrong_shape(name, tuple(want), shape))
        arr = arr.reshape(shape)
        problems = value_problems(arr)
        if problems:
            raise self._refuse(msg.member_problem(name, problems[0]))
        kind = "float" if dtype.kind == "f" else "integer"
        other = self._kinds["integer" if kind == "float" else "float"]
        if other:
            mine = [name]
            raise self._refuse(msg.mixed_kinds(*((mine, other) if kind == "float" else (other, mine))))
        return name, (arr.astype(np.float16, copy=False) if kind == "float" else arr.astype(dtype, copy=False))

    def add(self, image_id: str, scores: Any) -> None:
        """Check one score map and stream it into the archive as ``<image_id>.npy``.

        Args:
            image_id: the dataset id of the image.
            scores: an (H, W) array-like of scores, higher = more anomalous (``(1, H, W)`` / ``(H, W, 1)`` are
                squeezed); floats are stored as float16 (the canonical ranking precision), uint8 / uint16 as given.

        Raises:
            ArchiveError: a duplicate or unknown id, a wrong shape or dtype, NaN / inf or values beyond float16's
                range; nothing is written for this map and the writer stays usable.
        """
        name, arr = self._prepare(image_id, scores)
        assert self._zip is not None
        with self._zip.open(name, "w", force_zip64=arr.nbytes > (1 << 30)) as fh:
            np.lib.format.write_array(fh, np.ascontiguousarray(arr), allow_pickle=False)
        self._written[image_id] = name
        self._kinds["float" if arr.dtype.kind == "f" else "integer"].append(name)
        self._dtypes.add(arr.dtype.name)

    def _finish_partial(self) -> None:
        if self._zip is not None:
            self._zip.close()
            self._zip = None

    def close(self) -> Path:
        """Write ``manifest.json``, check that every dataset image has a map, and move the archive to ``path``.

        Returns:
            The archive path.

        Raises:
            ArchiveError: images of the dataset have no map (the maps written so far stay in
                ``<path>.partial``; ``path`` is not touched).
        """
        if self._zip is None:
            if self.path.exists() and not self.partial_path.exists():
                return self.path
            raise UsageError(f"{self.path}: expected an open writer, got one that was closed incomplete")
        if self._expected is not None:
            missing = [i for i in self._expected if i not in self._written]
            if missing:
                self._finish_partial()
                problem = msg.missing_ids(missing, len(self._expected))
                raise ArchiveError(
                    f"{self.path}: {problem} (the {len(self._written)} map(s) written are kept in {self.partial_path})",
                    [problem],
                )
        manifest = dict(self._manifest)
        manifest.setdefault("score_dtype", ", ".join(sorted(self._dtypes)) or "float16")
        self._zip.writestr(MANIFEST_NAME, json.dumps(manifest, indent=2, sort_keys=True))
        self._finish_partial()
        os.replace(self.partial_path, self.path)
        log.info("wrote %d score maps to %s", len(self._written), self.path)
        return self.path
