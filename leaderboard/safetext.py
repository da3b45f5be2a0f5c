"""User text that crosses into pages and exports: control characters out, links re-parsed, CSV cells defused.

Method names, team names, descriptions and links are chosen by submitters. Pages render them as plain text
(never Markdown: an image link would make every visitor's browser call an outside server), links only through
:func:`safe_url`, and the CSV export through :func:`csv_cell`.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit, urlunsplit

__all__ = ["CSV_FORMULA_START", "clean_text", "csv_cell", "md_escape", "safe_url"]

_INVISIBLE = re.compile(
    "[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad\u061c\u180e]"  # zero-width, bidi, BOM
)
CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""A CSV cell starting with one of these is run as a formula by spreadsheets (CWE-1236)."""


def clean_text(text: str, *, multiline: bool = False) -> str:
    """``text`` without bidi overrides, zero-width and other control characters (newlines kept if ``multiline``).

    >>> clean_text("evil\\u202egnp.exe\\u200b")
    'evilgnp.exe'
    """
    text = str(text)
    if text.isascii() and text.isprintable():  # nothing to strip (the common case, fast)
        return text
    text = _INVISIBLE.sub("", text)
    keep = "\n" if multiline else ""
    return "".join(c for c in text if c in keep or unicodedata.category(c) not in ("Cc", "Cf"))


_MD_SPECIAL = re.compile(r"([\\`*_\[\]()#!|<>~$])")


def md_escape(text: str) -> str:
    """``text`` with every Markdown special character backslash-escaped, for Streamlit elements that render
    Markdown (``st.error``, ``st.info``): a message quoting user text shows it verbatim.

    >>> print(md_escape("![x](http://evil/a.png)"))
    \\!\\[x\\]\\(http://evil/a.png\\)
    """
    return _MD_SPECIAL.sub(r"\\\1", clean_text(text, multiline=True))


def safe_url(url: str) -> str | None:
    """The link re-assembled from its parsed parts if it is a plain ``http(s)://host/...`` link, else None.

    >>> safe_url("https://example.org/paper?id=1"), safe_url("javascript:alert(1)"), safe_url("https://a b")
    ('https://example.org/paper?id=1', None, None)
    """
    text = clean_text(url).strip()
    if not text or any(c.isspace() for c in text) or len(text) > 500:
        return None
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, parts.fragment))


def csv_cell(value: object) -> object:
    """A string cell that a spreadsheet would run as a formula gets a leading ``'``; other values pass.

    >>> csv_cell("=HYPERLINK(1)"), csv_cell("-0.5"), csv_cell(-0.5), csv_cell("RPL")
    ("'=HYPERLINK(1)", "'-0.5", -0.5, 'RPL')
    """
    if isinstance(value, str) and value.startswith(CSV_FORMULA_START):
        return "'" + value
    return value
