"""Concepts in a local exam name: body regions, procedures and modifiers, in several languages.

The vocabulary is data (``data/lexicon.txt``). Multi-word terms win over single words; an unknown
German-style compound ('Thoraxabdomen', 'HWSFraktur') is split into known words; a misspelt word close
to a known one ('Thorx') still counts.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from kerma.nomenclature.text import tokens

ANY = "*"


@dataclass(slots=True)
class Lexicon:
    """Terms (as token tuples) -> concepts, per modality (``*`` for every modality)."""

    terms: dict[tuple[str, ...], dict[str, frozenset[str]]] = field(default_factory=dict)
    longest: int = 1
    words: frozenset[str] = frozenset()

    def concepts_of(self, term: tuple[str, ...], modality: str | None) -> frozenset[str]:
        """Concepts a term stands for in exams of ``modality``."""
        by_mod = self.terms.get(term)
        if not by_mod:
            return frozenset()
        found = by_mod.get(ANY, frozenset())
        if modality is not None:
            found = found | by_mod.get(modality.upper(), frozenset())
        else:
            for mod, concepts in by_mod.items():
                if mod != ANY:
                    found = found | concepts
        return found


def parse_lexicon(text: str) -> Lexicon:
    """Read the ``CONCEPTS [@MOD|MOD] = term; term`` format."""
    lex = Lexicon()
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        head, _, body = line.partition("=")
        parts = head.split()
        mods = [ANY]
        concepts = []
        for p in parts:
            if p.startswith("@"):
                mods = [m.upper() for m in p[1:].split("|")]
            else:
                concepts.append(p)
        for term in body.split(";"):
            key = tokens(term.strip())
            if not key:
                continue
            by_mod = lex.terms.setdefault(key, {})
            for m in mods:
                by_mod[m] = by_mod.get(m, frozenset()) | frozenset(concepts)
            lex.longest = max(lex.longest, len(key))
    lex.words = frozenset(k[0] for k in lex.terms if len(k) == 1)
    return lex


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    """The shipped vocabulary."""
    text = resources.files("kerma.nomenclature").joinpath("data", "lexicon.txt").read_text(encoding="utf-8")
    return parse_lexicon(text)


def _split_compound(word: str, vocab: frozenset[str]) -> tuple[str, ...] | None:
    """Split ``word`` into known words of at least 3 letters (German linking 's'/'n'/'e' allowed)."""
    n = len(word)
    best: list[tuple[str, ...] | None] = [None] * (n + 1)
    best[0] = ()
    for i in range(n):
        prefix = best[i]
        if prefix is None:
            continue
        for j in range(i + 3, n + 1):
            piece = word[i:j]
            if piece in vocab:
                cand = (*prefix, piece)
                if best[j] is None or len(cand) < len(best[j] or ()):
                    best[j] = cand
                # a linking letter after a piece ('lungen|s|...', 'hals|wirbel')
                if j < n and word[j] in "sne" and best[j + 1] is None:
                    best[j + 1] = cand
    result = best[n]
    return result if result and len(result) > 1 else None


@lru_cache(maxsize=65536)
def _resolve_unknown(word: str, lex_id: int) -> tuple[str, ...]:
    lex = _LEXICONS[lex_id]
    if len(word) >= 6:
        parts = _split_compound(word, lex.words)
        if parts:
            return parts
    if len(word) >= 5 and not word.isdigit():
        close = difflib.get_close_matches(word, lex.words, n=1, cutoff=0.86)
        if close:
            return (close[0],)
    return ()


_LEXICONS: dict[int, Lexicon] = {}


def extract(texts: Iterable[str | None], modality: str | None, lex: Lexicon | None = None) -> set[str]:
    """Concepts found in ``texts`` for an exam of ``modality``."""
    lex = lex or default_lexicon()
    _LEXICONS.setdefault(id(lex), lex)
    found: set[str] = set()
    for text in texts:
        toks = tokens(text)
        i = 0
        while i < len(toks):
            for size in range(min(lex.longest, len(toks) - i), 0, -1):
                key = toks[i : i + size]
                concepts = lex.concepts_of(key, modality)
                if concepts:
                    found |= concepts
                    i += size
                    break
            else:
                for piece in _resolve_unknown(toks[i], id(lex)):
                    found |= lex.concepts_of((piece,), modality)
                i += 1
    # a frontal and a lateral view together are a two-view exam
    if "LAT" in found and found & {"PA", "AP"}:
        found.add("TWOVIEW")
    if "TWOVIEW" in found:
        found -= {"PA", "AP", "LAT"}
    return found
