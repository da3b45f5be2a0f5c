"""Compose a synthesized training set: inlier images + object banks -> anomalies with Eq. 1 labels.

Sample ``i`` is drawn from its own generator seeded by ``(seed, i)``: the inlier image, the objects, their
placements and (in harmonised mode) the blending all follow from it, so the same ``(seed, i)`` gives the same
sample in any process, on any rank, before or after a crash, and copy-paste and harmonised runs with the same
seed differ only in the blending. Work is split into chunks of consecutive indices; chunk ``k`` goes to rank
``k % WORLD_SIZE`` (torchrun) and then to a worker process; a finished chunk is renamed into place atomically,
and a restarted run skips the chunks that exist. Rank 0 assembles the final parquet shards when all exist.
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from baselines.anomaly_paste import PLACEMENTS
from baselines.distributed import dist_env
from baselines.synthesis import layout
from baselines.synthesis.blender import BlendConfig, HarmonizationBlender
from baselines.synthesis.copy_paste import check_anomaly_id, paste_object
from baselines.synthesis.errors import PlacementError
from baselines.synthesis.placement import PlacementConfig, drivable_mask, random_placement, sample_placement
from comsamy.constants import ANOMALY_TRAIN_ID
from comsamy.errors import ConfigError, DataValidationError, UsageError

log = logging.getLogger(__name__)
MODES = ("harmonized", "copy-paste")


@dataclass(frozen=True)
class ComposeConfig:
    """Settings of a compose run (everything that changes the samples).

    Attributes:
        count: Number of samples.
        seed: Run seed; sample ``i`` uses ``sample_seed(seed, i)``.
        mode: ``"harmonized"`` or ``"copy-paste"``.
        anomaly_id: Label of pasted pixels (254, or the paper's 20).
        objects_per_image: Inclusive range of objects pasted per image.
        chunk_size: Samples per resumable chunk.
        max_tries: Inlier images tried per sample before a placement failure is fatal.
        placement: Placement search settings; ``blend``: harmonisation settings.
        placement_mode: ``"drivable"`` (ours: drivable ground, perspective size) or ``"rpl"`` (RPL's official
            uniform random position and scale, :func:`~baselines.synthesis.placement.random_placement`).
    """

    count: int
    seed: int = 0
    mode: str = "harmonized"
    anomaly_id: int = ANOMALY_TRAIN_ID
    objects_per_image: tuple[int, int] = (1, 1)
    chunk_size: int = 16
    max_tries: int = 20
    placement: PlacementConfig = field(default_factory=PlacementConfig)
    blend: BlendConfig = field(default_factory=BlendConfig)
    placement_mode: str = "drivable"

    def __post_init__(self) -> None:
        if self.placement_mode not in PLACEMENTS:
            raise ConfigError(f"--placement: expected one of {PLACEMENTS}, got {self.placement_mode!r}")
        if not isinstance(self.count, int) or self.count < 1:
            raise ConfigError(f"--count: expected a positive integer, got {self.count!r}")
        if self.mode not in MODES:
            raise ConfigError(f"--mode: expected one of {MODES}, got {self.mode!r}")
        check_anomaly_id(self.anomaly_id)
        lo, hi = self.objects_per_image
        if not 1 <= lo <= hi:
            raise ConfigError(f"--objects-per-image: expected 1 <= min <= max, got {self.objects_per_image}")
        if self.chunk_size < 1:
            raise ConfigError(f"--chunk-size: expected a positive integer, got {self.chunk_size}")

    @property
    def num_chunks(self) -> int:
        return math.ceil(self.count / self.chunk_size)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["objects_per_image"] = list(self.objects_per_image)
        return d


def sample_seed(seed: int, index: int) -> int:
    """The 63-bit seed of sample ``index`` of a run seeded ``seed``."""
    return int(np.random.SeedSequence([seed, index]).generate_state(2, np.uint64)[0] >> np.uint64(1))


def _png(arr: np.ndarray, mode: str) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(arr, mode).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def load_inliers(inliers: Any, *, config: str = "inliers", split: str = "train") -> Any:
    """A ``datasets.Dataset`` of inlier rows from what ``comsamy.load_dataset`` takes (or a Dataset as is)."""
    if isinstance(inliers, (str, os.PathLike)):
        import comsamy

        ds = comsamy.load_dataset(str(inliers), config=config, split=split)
    else:
        ds = inliers
    cols = getattr(ds, "column_names", None)
    if cols is None or not {"image", "label"} <= set(cols):
        raise DataValidationError(
            f"--inliers {inliers!r}: expected a dataset split with columns image and label, got {cols}"
        )
    if len(ds) == 0:
        raise DataValidationError(f"--inliers {inliers!r}: expected at least one inlier image, got an empty split")
    return ds


class Composer:
    """Makes samples; one per worker process (it caches decoded objects)."""

    def __init__(
        self,
        inliers: Any,
        banks: Sequence[Any],
        config: ComposeConfig,
        *,
        harmonizer_net: Any = None,
        cache_size: int = 512,
    ) -> None:
        self.inliers = inliers
        self.banks = list(banks)
        self.config = config
        self.blender = HarmonizationBlender(config.blend, harmonizer_net=harmonizer_net)
        self.offsets = np.cumsum([0] + [len(b) for b in self.banks])
        self._cache: OrderedDict[int, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self.cache_size = cache_size

    def _object(self, g: int) -> tuple[np.ndarray, np.ndarray, Any]:
        b = int(np.searchsorted(self.offsets, g, side="right") - 1)
        bank = self.banks[b]
        if g not in self._cache:
            self._cache[g] = bank.load(g - int(self.offsets[b]))
            if len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        self._cache.move_to_end(g)
        return (*self._cache[g], (b, bank.entries[g - int(self.offsets[b])]))

    def _inlier(self, i: int) -> tuple[str, np.ndarray, np.ndarray]:
        row = self.inliers[i]
        image = np.asarray(row["image"].convert("RGB"))
        label = np.asarray(row["label"])
        rid = str(row.get("id", i))
        if label.ndim != 2 or label.shape != image.shape[:2]:
            raise DataValidationError(
                f"inlier {rid}: expected a single-channel label of the image's size "
                f"{image.shape[1]}x{image.shape[0]}, got shape {label.shape}"
            )
        return rid, image, label.astype(np.uint8)

    def sample(self, index: int) -> dict[str, Any]:
        """Make sample ``index``: a row with PNG bytes and its provenance JSON."""
        cfg = self.config
        s = sample_seed(cfg.seed, index)
        rng = np.random.default_rng(s)
        failures = []
        for _ in range(cfg.max_tries):
            rid, image, label = self._inlier(int(rng.integers(len(self.inliers))))
            n = int(rng.integers(cfg.objects_per_image[0], cfg.objects_per_image[1] + 1))
            objs = [int(rng.integers(int(self.offsets[-1]))) for _ in range(n)]
            if cfg.placement_mode == "drivable" and not drivable_mask(label).any():
                failures.append(f"{rid}: no drivable pixels")
                continue
            try:
                records = []
                for g in objs:
                    oimg, omask, (b, entry) = self._object(g)
                    if cfg.placement_mode == "rpl":
                        p = random_placement(label, omask, rng)
                    else:
                        p = sample_placement(label, omask, rng, cfg.placement)
                    if cfg.mode == "copy-paste":
                        image, label, full = paste_object(image, label, oimg, omask, p, anomaly_id=cfg.anomaly_id)
                        extra: dict[str, Any] = {}
                    else:
                        res = self.blender.blend(image, label, oimg, omask, p, anomaly_id=cfg.anomaly_id)
                        image, label, full, extra = res.image, res.label, res.mask, res.info
                    records.append(
                        {
                            "bank": Path(entry.bank).name,
                            "bank_index": b,
                            "object_id": entry.id,
                            "kind": entry.meta.get("kind"),
                            **p.to_dict(),
                            "pixels": int(full.sum()),
                            **extra,
                        }
                    )
            except PlacementError as exc:
                failures.append(f"{rid}: {exc}")
                continue
            prov = {
                "index": index,
                "seed": cfg.seed,
                "sample_seed": s,
                "mode": cfg.mode,
                "anomaly_id": cfg.anomaly_id,
                "inlier_id": rid,
                "objects": records,
            }
            rid_out = f"synth_{index:07d}"
            return {
                "id": rid_out,
                "image": _png(image, "RGB"),
                "label": _png(label, "L"),
                "provenance": json.dumps(prov, sort_keys=True),
            }
        raise PlacementError(
            f"sample {index}: expected a placement within {cfg.max_tries} inlier images, got "
            f"failures: {'; '.join(failures[:3])}"
        )


# --- worker processes ---------------------------------------------------------------------------
_WORKER: dict[str, Any] = {}


def _init_worker(inliers: Any, bank_paths: Sequence[str], config: ComposeConfig, harmonizer_path: str | None) -> None:
    import cv2

    from baselines.synthesis.bank import open_banks

    cv2.setNumThreads(1)
    harmonizer_net = None
    if harmonizer_path:
        import torch

        from baselines.synthesis.unet_harmonizer import load_unet_harmonizer

        torch.set_num_threads(1)
        harmonizer_net = load_unet_harmonizer(harmonizer_path)
    _WORKER["composer"] = Composer(
        load_inliers(inliers), open_banks(bank_paths, validate=False), config, harmonizer_net=harmonizer_net
    )


def _run_chunk(out: str, k: int, on_sample: Callable[[int], None] | None = None) -> int:
    composer: Composer = _WORKER["composer"]
    cfg = composer.config
    rows = []
    for i in range(k * cfg.chunk_size, min((k + 1) * cfg.chunk_size, cfg.count)):
        rows.append(composer.sample(i))
        if on_sample is not None:
            on_sample(i)
    layout.write_chunk(Path(out), k, rows)
    return len(rows)


@dataclass(frozen=True)
class ComposeSummary:
    """What a compose call did."""

    out: str
    count: int
    generated: int
    skipped: int
    seconds: float
    assembled: bool
    rank: int
    world_size: int

    @property
    def samples_per_second(self) -> float:
        return self.generated / self.seconds if self.seconds > 0 else float("nan")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "samples_per_second": self.samples_per_second}


def compose_dataset(
    inliers: Any,
    banks: Sequence[str | Path],
    out: str | Path,
    config: ComposeConfig,
    *,
    inliers_config: str = "inliers",
    inliers_split: str = "train",
    workers: int = 1,
    harmonizer: str | Path | None = None,
    progress: bool = True,
    on_sample: Callable[[int], None] | None = None,
    wait_timeout: float = 86400.0,
) -> ComposeSummary:
    """Compose ``config.count`` samples into the dataset folder ``out`` (resumable, parallel, sharded).

    Args:
        inliers: What ``comsamy.load_dataset`` takes (``"sample"``, a folder, a Hub id) or a ``datasets.Dataset``.
        banks: Object bank folders (``images/`` + ``masks/``).
        out: Output dataset folder.
        config: The run's settings; a restart must pass the same ones.
        workers: Worker processes on this rank (1 = in this process).
        harmonizer: Optional state-dict file of our DoveNet-style U-Net (:mod:`baselines.synthesis.unet_harmonizer`, harmonised mode).
        on_sample: Called with each finished index (in-process runs only; tests use it to simulate a crash).
        wait_timeout: Seconds rank 0 waits for other ranks' chunks before failing.

    Raises:
        UsageError: ``out`` holds a run with other settings.
    """
    from baselines.synthesis.bank import open_banks

    t0 = time.perf_counter()
    out = Path(out)
    env = dist_env()
    rank, world = env.rank, env.world
    bank_list = open_banks(banks)  # validates every bank up front, with every problem listed
    if harmonizer is not None and config.mode != "harmonized":
        raise ConfigError("--harmonizer: expected --mode harmonized, got --mode copy-paste")
    ds = load_inliers(inliers, config=inliers_config, split=inliers_split)
    settings = {
        "config": config.to_dict(),
        "inliers": inliers if isinstance(inliers, str) else repr(inliers),
        "inliers_config": inliers_config,
        "inliers_split": inliers_split,
        "num_inliers": len(ds),
        "banks": [str(Path(b).resolve()) for b in banks],
        "bank_sizes": [len(b) for b in bank_list],
        "harmonizer": str(harmonizer) if harmonizer else None,
    }
    settings = json.loads(json.dumps(settings))  # as it reads back from the state file (tuples -> lists)
    state = layout.read_state(out)
    if state is not None and state.get("settings") != settings:
        raise UsageError(
            f"--out {out}: expected an empty folder or an interrupted run with the same settings, got "
            f"a run with other settings ({out / layout.STATE_FILE}); use another --out"
        )
    if state is not None and state.get("complete") and (out / "README.md").is_file():
        return ComposeSummary(str(out), config.count, 0, config.count, time.perf_counter() - t0, False, rank, world)
    if state is None and out.exists() and any(not p.name.startswith(".") for p in out.iterdir()):
        raise UsageError(f"--out {out}: expected an empty or new folder, got a folder with other files")
    if rank == 0 or state is None:
        layout.write_state(out, {"settings": settings, "complete": False})
    mine = list(range(rank, config.num_chunks, world))
    todo = [k for k in mine if not layout.chunk_path(out, k).is_file()]
    skipped = sum(min(config.chunk_size, config.count - k * config.chunk_size) for k in mine if k not in todo)
    generated = 0
    from tqdm.auto import tqdm

    total = sum(min(config.chunk_size, config.count - k * config.chunk_size) for k in mine)
    with tqdm(total=total, initial=skipped, desc=f"compose (rank {rank})", unit="img", disable=not progress) as bar:
        if workers <= 1 or len(todo) <= 1:
            _init_worker(ds, [str(b) for b in banks], config, str(harmonizer) if harmonizer else None)
            for k in todo:
                n = _run_chunk(str(out), k, on_sample)
                generated += n
                bar.update(n)
        else:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor, as_completed

            ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
            with ProcessPoolExecutor(
                max_workers=workers,
                mp_context=ctx,
                initializer=_init_worker,
                initargs=(ds, [str(b) for b in banks], config, str(harmonizer) if harmonizer else None),
            ) as pool:
                futures = [pool.submit(_run_chunk, str(out), k) for k in todo]
                for f in as_completed(futures):
                    n = f.result()
                    generated += n
                    bar.update(n)
    assembled = False
    if rank == 0:
        deadline = time.monotonic() + wait_timeout
        while not all(layout.chunk_path(out, k).is_file() for k in range(config.num_chunks)):
            if time.monotonic() > deadline:
                raise UsageError(
                    f"--out {out}: expected every rank's chunks within {wait_timeout:.0f} s, got "
                    "missing chunks; rerun the same command to finish"
                )
            time.sleep(1.0)
        layout.assemble(out, config.num_chunks, config.count, settings)
        layout.write_state(out, {"settings": settings, "complete": True})
        assembled = True
    return ComposeSummary(str(out), config.count, generated, skipped, time.perf_counter() - t0, assembled, rank, world)
