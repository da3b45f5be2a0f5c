"""Run the commands a docs page documents: every line of its ```bash blocks, with test-size arguments appended."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Sequence
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"


def bash_lines(page: str, *, section: str | None = None) -> list[str]:
    """The command lines of the ```bash blocks of ``docs/<page>`` (in ``section``, a heading, when given);
    comments stripped, continuation lines joined."""
    text = (DOCS / page).read_text(encoding="utf-8")
    if section is not None:
        start = text.index(section)
        nxt = re.search(r"^#{1,3} ", text[start + len(section) :], flags=re.M)
        text = text[start : start + len(section) + (nxt.start() if nxt else len(text))]
    lines: list[str] = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = re.sub(r"\s+#\s.*$", "", line).strip()
            if line and not line.startswith("#"):
                lines.append(line)
    return lines


def run_lines(
    lines: Sequence[str], runners: dict[str, Callable[[list[str]], int]], substitute: dict[str, str] | None = None
) -> list[str]:
    """Run each line with the runner of its first word; returns the lines run. A line no runner knows fails."""
    done = []
    for line in lines:
        for old, new in (substitute or {}).items():
            line = line.replace(old, new)
        argv = shlex.split(line)
        runner = runners.get(argv[0])
        assert runner is not None, f"documented command without a test runner: {line}"
        rc = runner(argv[1:])
        assert rc == 0, f"documented command failed (exit {rc}): {line}"
        done.append(line)
    return done
