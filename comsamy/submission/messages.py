"""The wording of every archive problem, shared by validation (``comsamy-eval``) and :class:`ArchiveWriter`.

Each function returns one problem line that names the member (or the ids) at fault, in the "expected X, got Y"
form. Validation collects them into one :class:`~comsamy.errors.ArchiveError`; the writer raises them one at a
time, so a loop that writes an archive hears exactly what ``comsamy-eval`` would later say about it.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "FIRST_FEW",
    "LIST_AT_MOST",
    "duplicate_id",
    "first_few",
    "invalid_archive",
    "member_problem",
    "missing_ids",
    "mixed_kinds",
    "not_2d",
    "unknown_ids",
    "wrong_shape",
]

FIRST_FEW = 5
LIST_AT_MOST = 20


def first_few(items: Sequence[str], n: int = FIRST_FEW) -> str:
    """The first ``n`` items quoted, then how many more there are."""
    shown = ", ".join(repr(i) for i in items[:n])
    return shown + (f", ... ({len(items) - n} more)" if len(items) > n else "")


def member_problem(name: str, text: str) -> str:
    """A problem of one member: ``member 'a.npy': <text>``."""
    return f"member {name!r}: {text}"


def invalid_archive(where: object, count: int, *, during: str = "") -> str:
    """The headline of an :class:`~comsamy.errors.ArchiveError` with ``count`` problems."""
    tail = f" found {during}" if during else ""
    return f"{where}: expected a valid prediction archive, got {count} problem(s){tail}"


def unknown_ids(names: Sequence[str]) -> str:
    """Members whose file stem is no image id of the dataset (at most :data:`LIST_AT_MOST` named)."""
    shown = names[:LIST_AT_MOST]
    more = f" and {len(names) - len(shown)} more" if len(names) > len(shown) else ""
    return (
        f"unknown ids: {len(names)} member(s) whose file stem is no image id of the dataset: "
        f"{', '.join(repr(n) for n in shown)}{more}"
    )


def duplicate_id(image_id: str, names: Sequence[str]) -> str:
    """Two or more members score the same image."""
    return f"duplicate id {image_id!r}: expected one member per image, got {first_few(names)}"


def missing_ids(missing: Sequence[str], total: int) -> str:
    """Dataset images without a score map: the count and the first few ids."""
    return f"missing ids: no score map for {len(missing)} of {total} images, e.g. {first_few(missing)}"


def not_2d(name: str, want: tuple[int, ...], got: tuple[int, ...]) -> str:
    """A member whose array is not (H, W) even after squeezing singleton axes."""
    return member_problem(name, f"expected a 2-D array of shape {tuple(want)} (H, W), got {len(got)}-D shape {got}")


def wrong_shape(name: str, want: tuple[int, ...], got: tuple[int, ...]) -> str:
    """A 2-D member whose shape is not the image's."""
    return member_problem(name, f"expected shape {tuple(want)} (H, W) as the image, got {tuple(got)}")


def mixed_kinds(floats: Sequence[str], ints: Sequence[str]) -> str:
    """An archive with both float and integer score maps."""
    return (
        f"mixed score kinds: expected all float or all integer score maps, got {len(floats)} float (e.g."
        f" {first_few(floats, 3)}) and {len(ints)} integer (e.g. {first_few(ints, 3)})"
    )
