"""Every console command shown in the README and docs parses with the real command's parser.

The commands themselves are run for real by the tests of each part; this test catches the drift between what a page
tells a user to type and what the parsers accept (a renamed flag, a removed option, a missing ``--preds``).
"""

from __future__ import annotations

import argparse
import importlib
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted(ROOT.glob("baselines/**/README.md"))]
CONSOLE = {
    "comsamy-eval": "comsamy.cli.eval",
    "comsamy-data": "comsamy.cli.data",
    "comsamy-train": "baselines.cli.train",
    "comsamy-infer": "baselines.cli.infer",
    "comsamy-synth": "baselines.synthesis.cli",
    "comsamy-leaderboard": "leaderboard.cli",
}
MODULES = {"baselines.cli.train": "baselines.cli.train", "baselines.cli.infer": "baselines.cli.infer"}


def _shell_lines(text: str) -> Iterator[str]:
    """Logical lines of the page's shell-like code blocks (continuations joined, comments and synopses dropped)."""
    language: str | None = None
    block: list[str] = []
    for raw in text.splitlines():
        fence = re.match(r"^\s*```(\w*)", raw)
        if fence and language is None:
            language, block = fence.group(1), []
        elif fence:
            if language in ("", "bash", "sh", "shell", "console"):
                for line in re.sub(r"\\\n\s*", " ", "\n".join(block)).splitlines():
                    line = line.strip().removeprefix("$ ")
                    if line and not line.startswith("#") and " [--" not in line:  # a synopsis is not a command
                        yield line
            language = None
        else:
            block.append(raw)


def _commands(line: str) -> Iterator[list[str]]:
    """Each simple command of a line, split like a shell (``&&``, ``||``, ``;``, ``|`` separate commands)."""
    try:
        words = shlex.split(line, comments=True)
    except ValueError:
        return
    current: list[str] = []
    for word in [*words, "&&"]:
        if word in ("&&", "||", ";", "|"):
            if current:
                yield current
            current = []
        else:
            current.append(word)


def _documented() -> list[tuple[str, int, list[str]]]:
    found = []
    for page in PAGES:
        for n, line in enumerate(_shell_lines(page.read_text(encoding="utf-8")), 1):
            for words in _commands(line):
                while words and "=" in words[0] and not words[0].startswith("-"):  # VAR=value prefixes
                    words = words[1:]
                if not words:
                    continue
                if words[0] in CONSOLE:
                    found.append((f"{page.relative_to(ROOT)}:{n}", 0, [CONSOLE[words[0]], *words[1:]]))
                elif words[0] in ("python", "python3", "torchrun") and "-m" in words:
                    i = words.index("-m")
                    if i + 1 < len(words) and words[i + 1] in MODULES:
                        found.append((f"{page.relative_to(ROOT)}:{n}", 0, [MODULES[words[i + 1]], *words[i + 2 :]]))
                elif words[0] in ("python", "python3") and len(words) > 1 and words[1].endswith(".py"):
                    found.append((f"{page.relative_to(ROOT)}:{n}", 1, words[1:]))
    return found


DOCUMENTED = _documented()


def test_the_pages_show_commands() -> None:
    modules = {words[0] for _, kind, words in DOCUMENTED if kind == 0}
    assert set(CONSOLE.values()) <= modules, f"no documented example for {set(CONSOLE.values()) - modules}"


@pytest.mark.parametrize(("where", "kind", "words"), DOCUMENTED, ids=[w for w, _, _ in DOCUMENTED])
def test_documented_command_parses(where: str, kind: int, words: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    if kind == 1:  # a script: it must exist where the page says
        assert (ROOT / words[0]).is_file(), f"{where}: {words[0]} does not exist"
        return
    module = importlib.import_module(words[0])
    parsed: list[argparse.Namespace] = []

    def parse_only(prog: str, parser: argparse.ArgumentParser, run: object, argv: list[str]) -> int:
        try:
            parsed.append(parser.parse_args(argv))
        except SystemExit as exc:
            return exc.code if isinstance(exc.code, int) else 2
        return 0

    monkeypatch.setattr(module, "run_cli", parse_only)
    assert module.main(words[1:]) == 0, f"{where}: `{' '.join(words)}` does not parse"
