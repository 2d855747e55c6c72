"""Text normalisation shared by header, exam-name and marker matching."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPACES = re.compile(r"[\s_]+")
_PUNCT = re.compile(r"[^\w\s]")


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower case without diacritics (``Schädel`` -> ``schadel``, ``ß`` -> ``ss``), spaces collapsed."""
    t = text.replace("ß", "ss").replace("ẞ", "ss")
    t = unicodedata.normalize("NFKD", t)
    t = "".join(ch for ch in t if not unicodedata.combining(ch))
    return _SPACES.sub(" ", t.lower()).strip()


def words(text: str) -> str:
    """:func:`fold` with punctuation turned into spaces: ``"Thorax p.a."`` -> ``"thorax p a"``."""
    return _SPACES.sub(" ", _PUNCT.sub(" ", fold(text))).strip()


def umlaut_spellings(text: str) -> set[str]:
    """A name and its spelling with umlauts written out (``ä`` -> ``ae``), both folded to words."""
    out = {words(text)}
    out.add(words(text.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("Ä", "Ae")))
    return out
