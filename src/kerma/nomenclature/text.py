"""Text normalisation shared by rules and suggestions: case, accents, punctuation, protocol numbers."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPLIT = re.compile(r"[^0-9a-z]+")
# "thorax3mm" -> "thorax 3 mm", "2ebenen" -> "2 ebenen": digits glued to words are separate tokens.
_GLUE = re.compile(r"(?<=[a-z])(?=[0-9])|(?<=[0-9])(?=[a-z])")
_FOLD = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "þ": "th"})


@lru_cache(maxsize=65536)
def fold(value: str) -> str:
    """Lower case without accents: 'Schädel CRÂNE' -> 'schadel crane'."""
    lowered = value.casefold().translate(_FOLD)
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=65536)
def tokens(value: str | None) -> tuple[str, ...]:
    """Word tokens of a name after folding; punctuation and '^' separators become spaces."""
    if not value:
        return ()
    text = _GLUE.sub(" ", fold(value))
    return tuple(t for t in _SPLIT.split(text) if t)


def name_key(value: str | None) -> str:
    """The normalised form rules compare: folded tokens, with numbers (protocol numbers, versions) dropped.

    'CT Schädel nativ 2', 'ct  SCHAEDEL-nativ' and '1.1 CT Schädel nativ' do not all agree ('ae' is not
    folded to 'a'), but case, accents, punctuation and numbering never make two names differ.
    """
    return " ".join(t for t in tokens(value) if not t.isdigit())
