"""Rank standard exam codes for a local exam name, with a confidence between 0 and 1.

Each code has a signature (``data/signatures.csv``): groups of concepts of which one each is required,
concepts that may appear, and concepts that speak against it. A name's concepts (see ``lexicon``) are
scored against every code of the exam's modality: covered required groups count, concepts the code
cannot explain and excluded concepts cost. The confidence is the best score, discounted when the runner-up
is close: two nearly equal candidates mean the name is ambiguous and a person should decide.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from kerma.nomenclature.codes import ExamCode, builtin_codes
from kerma.nomenclature.lexicon import extract

# Concepts that qualify an exam without changing which exam it is (no cost when a code ignores them).
NEUTRAL = frozenset(
    {
        "NATIVE",
        "CONTRAST",
        "BILATERAL",
        "UNILATERAL",
        "STENT",
        "TRAUMA",
        "ECG",
        "LOWDOSE",
        "BONE",
        "SUPINE",
        "GENERIC",
    }
)
UNEXPLAINED_COST = 0.25
EXCLUDED_COST = 0.5
OPTIONAL_BONUS = 0.05
DEFAULT_AUTO_CONFIDENCE = 0.8
"""`kerma map apply --auto` accepts suggestions at or above this confidence."""


@dataclass(frozen=True, slots=True)
class Signature:
    """What a code's exam names speak of."""

    code: str
    required: tuple[frozenset[str], ...]
    optional: frozenset[str]
    excluded: frozenset[str]
    prior: float

    @property
    def vocabulary(self) -> frozenset[str]:
        """Every concept the code explains."""
        out = set(self.optional)
        for group in self.required:
            out |= group
        return frozenset(out)


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A candidate exam code for a local name."""

    exam_code: str
    exam_name: str
    confidence: float
    score: float


@lru_cache(maxsize=1)
def signatures() -> dict[str, Signature]:
    """The shipped signatures, keyed by code."""
    text = (
        resources.files("kerma.nomenclature").joinpath("data", "signatures.csv").read_text(encoding="utf-8")
    )
    out: dict[str, Signature] = {}
    for r in csv.DictReader(text.splitlines()):
        out[r["code"]] = Signature(
            r["code"],
            tuple(frozenset(g.split("|")) for g in r["required"].split()),
            frozenset(r["optional"].split()),
            frozenset(r["excluded"].split()),
            float(r["prior"] or 0),
        )
    return out


def score(sig: Signature, concepts: set[str]) -> float:
    """How well a name's concepts fit a code (1 = every required group, nothing unexplained)."""
    matched = sum(1 for g in sig.required if g & concepts)
    if matched == 0:
        return 0.0
    # a partly covered signature falls off quickly: 'chest abdomen pelvis' is not 'neck ... pelvis'
    coverage = (matched / len(sig.required)) ** 2
    unexplained = concepts - sig.vocabulary - NEUTRAL
    excluded = concepts & sig.excluded
    bonus = OPTIONAL_BONUS * len(concepts & sig.optional)
    return (
        coverage
        - UNEXPLAINED_COST * len(unexplained)
        - EXCLUDED_COST * len(excluded)
        + bonus
        + sig.prior / 10
    )


def rank(
    modality: str | None,
    texts: Iterable[str | None],
    codes: dict[str, ExamCode] | None = None,
    top: int = 3,
) -> list[Suggestion]:
    """The ``top`` best codes for an exam of ``modality`` described by ``texts``, best first."""
    codes = codes or builtin_codes()
    mod = modality.upper() if modality else None
    if mod == "CR":
        mod = "DX" if "DX" not in {m for c in codes.values() for m in c.modalities} else "CR"
    concepts = extract(texts, mod)
    if not concepts:
        return []
    scored: list[tuple[float, str]] = []
    for code, sig in signatures().items():
        exam = codes.get(code)
        if exam is None or not exam.fits(mod):
            continue
        s = score(sig, concepts)
        if s > 0:
            scored.append((s, code))
    scored.sort(key=lambda t: (-t[0], t[1]))
    out: list[Suggestion] = []
    for i, (s, code) in enumerate(scored[:top]):
        runner_up = scored[i + 1][0] if i + 1 < len(scored) else 0.0
        best = min(1.0, max(0.0, s))
        margin = min(1.0, max(0.0, s - runner_up) / 0.5)
        conf = best * (0.5 + 0.5 * margin) if i == 0 else best * 0.5 * min(1.0, s / scored[0][0])
        out.append(Suggestion(code, codes[code].name, round(conf, 3), round(s, 4)))
    return out
