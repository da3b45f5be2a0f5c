"""Generate an object bank with the diffusion generator and the salient extractor (``comsamy-synth objects``).

Object ``i`` (id ``obj_{i:05d}``) uses prompt ``i`` of :func:`~baselines.synthesis.prompts.sample_prompts` and
the seed ``sample_seed(seed, i)``; when its mask cannot be extracted it is regenerated with the seed of
``(seed, i, attempt)``. Objects already in the bank are skipped, so an interrupted run resumes; under torchrun,
rank ``r`` makes the objects with ``i % WORLD_SIZE == r``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from baselines.distributed import dist_env
from baselines.synthesis.bank import BankWriter
from baselines.synthesis.compose import sample_seed
from baselines.synthesis.errors import ExtractionError
from baselines.synthesis.extractor import SalientExtractor
from baselines.synthesis.generator import GenerationConfig, ObjectGenerator
from baselines.synthesis.prompts import sample_prompts
from comsamy.errors import ConfigError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BankSummary:
    """What a bank generation call did."""

    out: str
    written: int
    skipped: int
    failed: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def object_id(i: int) -> str:
    return f"obj_{i:05d}"


def generate_bank(
    generator: ObjectGenerator,
    extractor: SalientExtractor,
    out: str | Path,
    *,
    count: int,
    seed: int = 0,
    batch_size: int = 4,
    config: GenerationConfig | None = None,
    max_retries: int = 2,
    progress: bool = True,
) -> BankSummary:
    """Generate ``count`` objects into the bank folder ``out`` (images, masks, provenance.jsonl).

    Returns:
        A summary; objects whose extraction failed ``max_retries + 1`` times are counted in ``failed``.
    """
    from tqdm.auto import tqdm

    if count < 1 or batch_size < 1:
        raise ConfigError(f"expected --count >= 1 and --batch-size >= 1, got {count} and {batch_size}")
    cfg = config or GenerationConfig()
    t0 = time.perf_counter()
    env = dist_env()
    rank, world = env.rank, env.world
    writer = BankWriter(out)
    done = writer.existing_ids()
    prompts = sample_prompts(count, seed)
    mine = list(range(rank, count, world))
    pending = [(i, 0) for i in mine if object_id(i) not in done]
    skipped = len(mine) - len(pending)
    written = failed = 0
    extractor_name = "u2net" if extractor.u2net is not None else "grabcut"
    with tqdm(total=len(mine), initial=skipped, desc=f"objects (rank {rank})", unit="obj", disable=not progress) as bar:
        while pending:
            batch, pending = pending[:batch_size], pending[batch_size:]
            seeds = [
                sample_seed(seed, i) if a == 0 else int(np.random.SeedSequence([seed, i, a]).generate_state(1)[0])
                for i, a in batch
            ]
            outs = generator.generate([prompts[i] for i, _ in batch], seeds, cfg)
            for (i, attempt), obj in zip(batch, outs, strict=True):
                try:
                    ex = extractor.extract(obj.image, obj.attention, seed=obj.seed % (2**31))
                except ExtractionError as exc:
                    if attempt < max_retries:
                        pending.append((i, attempt + 1))
                    else:
                        log.warning("object %s: no mask after %d attempts (%s)", object_id(i), attempt + 1, exc)
                        failed += 1
                        bar.update(1)
                    continue
                meta = {
                    **obj.to_dict(),
                    "category": obj.prompt.kind,
                    "source": "diffusion",
                    "generator": generator.source,
                    "attempt": attempt,
                    "extractor": ex.method,
                    "extractor_kind": extractor_name,
                    "crop_box": list(ex.box),
                    **cfg.to_dict(),
                }
                writer.write(object_id(i), ex.image, ex.mask, meta)
                written += 1
                bar.update(1)
    return BankSummary(str(out), written, skipped, failed, time.perf_counter() - t0)
