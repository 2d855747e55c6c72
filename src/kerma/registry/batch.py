"""Checks across rows and files of one import: values entered in the wrong unit (a column, a device's
rows or single rows off by 100, 1 000 or 10 000), implausible values, and two files claiming the same
facility and year. Every change is logged per cell; nothing is counted twice.
"""

from __future__ import annotations

import hashlib
import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from kerma.registry.model import RowStatus, SurveyFile, SurveyRow
from kerma.registry.repair import PLAUSIBLE
from kerma.registry.textnorm import words

# Powers of ten a value is off by when entered in the wrong unit: DAP in cGy·cm² (= µGy·m²) or mGy·cm²
# instead of Gy·cm², or in Gy·m²; DLP/CTDIvol/AGD in µGy or Gy·cm instead of mGy.
WRONG_UNIT_EXPONENTS: dict[str, tuple[int, ...]] = {
    "dap_gy_cm2": (2, 3, 4, -2, -3, -4),
    "dlp_mgy_cm": (3, -3),
    "ctdivol_mgy": (3, -3),
    "agd_mgy": (3, -3),
}
GROUP_WINDOW = 0.5
"""A group's median may be this far (log10) from an exponent and still count as off by it."""
ROW_WINDOW = 0.5
"""A single row must be this close (log10) to an exponent away from its group."""
MIN_REFERENCE_GROUPS = 3

ReferenceFn = Callable[[str, str], float | None]
"""(exam code, dose field) -> a typical value in canonical units, or None."""


def facility_identity(name: str) -> str:
    """The normalised facility name pseudonyms are made from: case, accents and punctuation ignored."""
    return words(name)


def _median_log(values: Iterable[float]) -> float | None:
    logs = [math.log10(v) for v in values if v and v > 0]
    return statistics.median(logs) if logs else None


def batch_reference(files: Sequence[SurveyFile], fallback: ReferenceFn | None = None) -> ReferenceFn:
    """Typical value per exam and quantity: median of facility medians in this import, else ``fallback``.

    The median of many facilities is robust to the minority that used a wrong unit.
    """
    groups: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for f in files:
        for r in f.rows():
            if r.status is RowStatus.REJECTED or not r.exam_code:
                continue
            for attr in WRONG_UNIT_EXPONENTS:
                v = r.dose(attr)
                if v:
                    groups[(r.exam_code, attr, facility_identity(r.facility or f.name))].append(v)
    per_exam: dict[tuple[str, str], list[float]] = defaultdict(list)
    for (code, attr, _fac), vals in groups.items():
        m = _median_log(vals)
        if m is not None:
            per_exam[(code, attr)].append(m)
    table = {k: 10 ** statistics.median(v) for k, v in per_exam.items() if len(v) >= MIN_REFERENCE_GROUPS}

    def ref(code: str, attr: str) -> float | None:
        if (code, attr) in table:
            return table[(code, attr)]
        return fallback(code, attr) if fallback else None

    return ref


def _exponent(offset: float, attr: str, window: float) -> int | None:
    for k in WRONG_UNIT_EXPONENTS[attr]:
        if abs(offset - k) < window:
            return k
    return None


def _apply(rows: Iterable[SurveyRow], attr: str, k: int, rule: str) -> None:
    f = 10.0 ** (-k)
    for r in rows:
        v = r.dose(attr)
        if v is None:
            continue
        new = v * f
        r.repaired(r.value_columns.get(attr, ""), f"{v:g}", f"{new:g}", f"{rule} (x{f:g})")
        setattr(r, attr, new)


def fix_wrong_units(files: Sequence[SurveyFile], ref: ReferenceFn) -> None:
    """Correct values entered in the wrong unit: whole columns, then device/exam groups, then single rows."""
    for f in files:
        for sheet in f.sheets:
            live = [r for r in sheet.rows if r.status is not RowStatus.REJECTED and r.exam_code]
            for attr in WRONG_UNIT_EXPONENTS:
                by_column: dict[str, list[SurveyRow]] = defaultdict(list)
                for r in live:
                    if r.dose(attr) is not None:
                        by_column[r.value_columns.get(attr, "")].append(r)
                for rows in by_column.values():
                    _fix_group(rows, attr, ref, "wrong_unit_column", min_rows=3)
                    by_group: dict[tuple[str | None, str | None], list[SurveyRow]] = defaultdict(list)
                    for r in rows:
                        by_group[(r.device, r.exam_code)].append(r)
                    for grp in by_group.values():
                        _fix_group(grp, attr, ref, "wrong_unit_device_exam", min_rows=3)
                    for grp in by_group.values():
                        _fix_rows(grp, attr, ref)


def _offsets(rows: Sequence[SurveyRow], attr: str, ref: ReferenceFn) -> list[float]:
    out = []
    for r in rows:
        v = r.dose(attr)
        t = ref(r.exam_code or "", attr)
        if v and t:
            out.append(math.log10(v / t))
    return out


def _fix_group(rows: Sequence[SurveyRow], attr: str, ref: ReferenceFn, rule: str, min_rows: int) -> None:
    offs = _offsets(rows, attr, ref)
    if len(offs) < min_rows:
        return
    k = _exponent(statistics.median(offs), attr, GROUP_WINDOW)
    if k is not None:
        _apply(rows, attr, k, rule)


def _fix_rows(rows: Sequence[SurveyRow], attr: str, ref: ReferenceFn) -> None:
    vals = [r.dose(attr) for r in rows]
    good = [v for v in vals if v]
    center = 10 ** statistics.median([math.log10(v) for v in good]) if len(good) >= 3 else None
    for r in rows:
        v = r.dose(attr)
        c = center or ref(r.exam_code or "", attr)
        if not v or not c:
            continue
        k = _exponent(math.log10(v / c), attr, ROW_WINDOW)
        if k is not None:
            _apply([r], attr, k, "wrong_unit_row")


def check_plausible(files: Sequence[SurveyFile]) -> None:
    """Clear dose values no exam can have (after unit repair) and reject rows left without a dose."""
    for f in files:
        for r in f.rows():
            if r.status is RowStatus.REJECTED:
                continue
            for attr, (lo, hi) in PLAUSIBLE.items():
                v = r.dose(attr)
                if v is not None and not lo <= v <= hi:
                    r.repaired(r.value_columns.get(attr, ""), f"{v:g}", None, f"implausible_{attr}_cleared")
                    setattr(r, attr, None)
            if all(r.dose(a) is None for a in PLAUSIBLE):
                r.reject("no plausible dose value left")


@dataclass(slots=True)
class Claim:
    """What one file (or an earlier import) says for one facility and year."""

    file: str
    keys: set[tuple[str | None, str]] = field(default_factory=set)
    signature: str = ""
    valid_rows: int = 0


KeyFn = Callable[[SurveyRow], tuple[str, str | None]]
"""A row's (facility key, device key): pseudonyms in the store, normalised names by default."""


def identity_keys(r: SurveyRow) -> tuple[str, str | None]:
    """Normalised facility and device names of a row."""
    return facility_identity(r.facility or ""), (words(r.device) if r.device else None)


def claims_of(f: SurveyFile, keys: KeyFn = identity_keys) -> dict[tuple[str, int], Claim]:
    """The (facility, year) pairs a file claims, with its (device, exam) keys and a content signature."""
    out: dict[tuple[str, int], Claim] = {}
    content: dict[tuple[str, int], list[str]] = defaultdict(list)
    for r in f.rows():
        if r.status is RowStatus.REJECTED or r.facility is None or r.year is None or r.exam_code is None:
            continue
        fac, dev = keys(r)
        key = (fac, r.year)
        c = out.setdefault(key, Claim(f.name))
        c.keys.add((dev, r.exam_code))
        c.valid_rows += 1
        content[key].append(row_signature(r))
    for key, sigs in content.items():
        out[key].signature = hashlib.sha256("\n".join(sorted(sigs)).encode()).hexdigest()
    return out


def row_signature(r: SurveyRow) -> str:
    """The values of a row (rounded), independent of where in the file it sits."""
    vals = [r.exam_code, r.is_mean, r.n_exams, r.patient_weight_kg, r.patient_age_years]
    vals += [None if r.dose(a) is None else round(r.dose(a) or 0.0, 6) for a in PLAUSIBLE]
    return repr(vals)


def resolve_duplicate_claims(
    files: Sequence[SurveyFile],
    earlier: dict[tuple[str, int], list[Claim]] | None = None,
    keys: KeyFn = identity_keys,
) -> list[str]:
    """Flag files claiming a facility and year already claimed; reject their overlapping rows.

    Identical content is a duplicate file. Different content for the same device and exam is a
    conflict: the claim with more rows (an earlier import wins ties) is counted, the other kept as
    rejected with the reason, and both are named in the returned flags for the authority to decide.
    """
    flags: list[str] = []
    taken: dict[tuple[str, int], list[Claim]] = {k: list(v) for k, v in (earlier or {}).items()}
    claims = {id(f): claims_of(f, keys) for f in files}
    order = sorted(files, key=lambda f: -sum(c.valid_rows for c in claims[id(f)].values()))
    for f in order:
        for key, claim in claims[id(f)].items():
            for prior in taken.get(key, []):
                overlap = claim.keys & prior.keys
                if not overlap:
                    continue
                same = claim.signature == prior.signature
                kind = "duplicate file (same data)" if same else "conflicting submission"
                flags.append(
                    f"{f.name} and {prior.file} both claim facility {key[0]!r} year {key[1]}: {kind}; "
                    f"{prior.file} is counted"
                )
                f.notes.append(
                    f"{kind}: facility and year already submitted in {prior.file}; "
                    "overlapping rows not counted"
                )
                for r in f.rows():
                    if r.status is RowStatus.REJECTED or r.facility is None:
                        continue
                    fac, dev = keys(r)
                    if (fac, r.year) == key and (dev, r.exam_code) in overlap:
                        # No names in the reason: it travels with the pseudonymised rows.
                        r.reject(
                            f"{kind}: facility, year {r.year} and exam already submitted in another file"
                        )
            claim.keys -= {k for p in taken.get(key, []) for k in p.keys}
            taken.setdefault(key, []).append(claim)
    return flags
