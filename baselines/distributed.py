"""The one reader of ``torchrun``'s environment (``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``) for training and synthesis.

>>> env = dist_env({"RANK": "1", "LOCAL_RANK": "1", "WORLD_SIZE": "2"})
>>> env.rank, env.world, env.is_main, env.distributed
(1, 2, False, True)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from comsamy.errors import ConfigError

__all__ = ["DistEnv", "dist_env"]


@dataclass(frozen=True)
class DistEnv:
    """This process's place in a (possibly single-process) run."""

    rank: int = 0
    local_rank: int = 0
    world: int = 1

    @property
    def distributed(self) -> bool:
        """More than one process (launched by ``torchrun``)."""
        return self.world > 1

    @property
    def is_main(self) -> bool:
        """Rank 0: the process that logs and writes."""
        return self.rank == 0


def dist_env(environ: Mapping[str, str] | None = None) -> DistEnv:
    """Read ``RANK`` / ``LOCAL_RANK`` / ``WORLD_SIZE`` (default: ``os.environ``; unset = a single process).

    Raises:
        ConfigError: a variable that is not an integer, or ``RANK`` outside ``0..WORLD_SIZE-1``.
    """
    env = os.environ if environ is None else environ
    values = {}
    for name, default in (("RANK", "0"), ("LOCAL_RANK", "0"), ("WORLD_SIZE", "1")):
        text = env.get(name, default)
        try:
            values[name] = int(text)
        except ValueError:
            raise ConfigError(f"expected an integer environment variable {name}, got {text!r}") from None
    rank, local_rank, world = values["RANK"], values["LOCAL_RANK"], values["WORLD_SIZE"]
    if world < 1 or not 0 <= rank < world or local_rank < 0:
        raise ConfigError(
            f"expected 0 <= RANK < WORLD_SIZE and LOCAL_RANK >= 0, got RANK={rank}, "
            f"LOCAL_RANK={local_rank}, WORLD_SIZE={world}"
        )
    return DistEnv(rank=rank, local_rank=local_rank, world=world)
