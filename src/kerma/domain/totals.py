"""Study totals from the dose objects of one study: replacement, precedence, no double counting.

The contract (ARCHITECTURE.md, "Identity and duplicates"): a later, more complete RDSR replaces an earlier
one; RDSRs with different events add up; RDSR data wins over header data; one exposure never counts
twice. Totals are the totals the devices reported where they reported them; the sum over unique events
is a cross-check whose disagreement is flagged, not silently resolved.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime

from kerma.domain.model import SOURCE_PRECEDENCE, AccumulatedDose, DoseReport, DoseSource, IrradiationEvent
from kerma.domain.units import clean


@dataclass(slots=True)
class Totals:
    """Study-level sums in canonical units; None where nothing was reported."""

    total_dlp_mgy_cm: float | None = None
    total_dap_gy_cm2: float | None = None
    total_kar_mgy: float | None = None
    total_fluoro_time_s: float | None = None
    total_fluoro_dap_gy_cm2: float | None = None
    total_acquisition_dap_gy_cm2: float | None = None
    total_agd_mgy: float | None = None
    administered_activity_mbq: float | None = None

    def add(self, other: Totals) -> Totals:
        """Field-wise sum; None only where both are None."""
        out = Totals()
        for f in fields(Totals):
            a, b = getattr(self, f.name), getattr(other, f.name)
            setattr(out, f.name, None if a is None and b is None else clean((a or 0.0) + (b or 0.0)))
        return out

    def fill_from(self, other: Totals) -> Totals:
        """This object's values, with gaps filled from ``other``."""
        out = Totals()
        for f in fields(Totals):
            a = getattr(self, f.name)
            setattr(out, f.name, a if a is not None else getattr(other, f.name))
        return out


_TOTAL_NAMES = [f.name for f in fields(Totals)]


@dataclass(slots=True)
class ObjectSummary:
    """What the combination rule needs to know about one stored dose object."""

    sop_instance_uid: str
    source: DoseSource
    group_key: str
    event_keys: frozenset[str]
    reported: Totals
    from_events: Totals
    received_order: int = 0
    content_datetime: datetime | None = None
    administration_keys: frozenset[str] = frozenset()
    # Per-event contribution, so overlapping reports can be summed over unique events.
    event_values: dict[str, list[float | None]] = field(default_factory=dict)
    administration_values: dict[str, float | None] = field(default_factory=dict)


@dataclass(slots=True)
class StudyCombination:
    """Outcome: which objects count, the study totals, and anything a physicist should look at."""

    counted_objects: list[str]
    superseded_objects: list[str]
    outranked_objects: list[str]
    counted_event_keys: set[str]
    totals: Totals
    dose_source: DoseSource | None
    flags: list[str] = field(default_factory=list)


def _sum(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return clean(math.fsum(vals)) if vals else None


def reported_totals(accumulated: Sequence[AccumulatedDose], administered_mbq: float | None = None) -> Totals:
    """Totals an object itself reports: planes add up (DAP, Ka,r and times are per plane)."""
    return Totals(
        total_dlp_mgy_cm=_sum(a.dlp_total_mgy_cm for a in accumulated),
        total_dap_gy_cm2=_sum(
            a.dap_total_gy_cm2
            if a.dap_total_gy_cm2 is not None
            else _sum([a.fluoro_dap_total_gy_cm2, a.acquisition_dap_total_gy_cm2])
            for a in accumulated
        ),
        total_kar_mgy=_sum(
            a.kar_total_mgy
            if a.kar_total_mgy is not None
            else _sum([a.fluoro_kar_total_mgy, a.acquisition_kar_total_mgy])
            for a in accumulated
        ),
        total_fluoro_time_s=_sum(a.fluoro_time_total_s for a in accumulated),
        total_fluoro_dap_gy_cm2=_sum(a.fluoro_dap_total_gy_cm2 for a in accumulated),
        total_acquisition_dap_gy_cm2=_sum(a.acquisition_dap_total_gy_cm2 for a in accumulated),
        total_agd_mgy=_sum(
            _sum([a.agd_left_mgy, a.agd_right_mgy]) if a.agd_both_mgy is None else a.agd_both_mgy
            for a in accumulated
        ),
        administered_activity_mbq=administered_mbq,
    )


_EVENT_VALUE_FIELDS = ("dlp_mgy_cm", "dap_gy_cm2", "kar_mgy", "agd_mgy")


def _event_values(ev: IrradiationEvent) -> list[float | None]:
    fluoro = ev.event_type == "fluoroscopy"
    return [
        *(getattr(ev, n) for n in _EVENT_VALUE_FIELDS),
        ev.fluoro_time_s if fluoro else None,
        ev.dap_gy_cm2 if fluoro else None,
    ]


def _totals_from_values(values: Iterable[list[float | None]]) -> Totals:
    rows = list(values)
    return Totals(
        total_dlp_mgy_cm=_sum(r[0] for r in rows),
        total_dap_gy_cm2=_sum(r[1] for r in rows),
        total_kar_mgy=_sum(r[2] for r in rows),
        total_agd_mgy=_sum(r[3] for r in rows),
        total_fluoro_time_s=_sum(r[4] for r in rows),
        total_fluoro_dap_gy_cm2=_sum(r[5] for r in rows),
        total_acquisition_dap_gy_cm2=_sum(r[1] for r in rows if r[5] is None)
        if any(r[5] is not None for r in rows)
        else None,
    )


def event_totals(events: Iterable[IrradiationEvent], administered_mbq: float | None = None) -> Totals:
    """Totals as the sum over events (each event once, by its dedupe key)."""
    unique: dict[str, list[float | None]] = {}
    for ev in events:
        unique.setdefault(ev.dedupe_key, _event_values(ev))
    totals = _totals_from_values(unique.values())
    totals.administered_activity_mbq = administered_mbq
    return totals


# Modality families within which one exposure could be reported by several objects.
_FAMILY = {"CT": "ct", "MG": "mg", **dict.fromkeys(("RF", "XA", "DX", "CR", "PX", "IO"), "proj")}


def group_key(report: DoseReport) -> str:
    """Precedence group of a report: its modality family (a CT RDSR outranks CT image headers even when
    the two describe the device differently, while a DX exposure in the same study is kept)."""
    return _FAMILY.get((report.modality or "").upper(), (report.modality or "other").lower())


def summarise(report: DoseReport, received_order: int = 0) -> ObjectSummary:
    """Build the combination input for one parsed object."""
    activity = _sum(a.activity_mbq for a in report.administrations)
    return ObjectSummary(
        sop_instance_uid=report.sop_instance_uid,
        source=report.source,
        group_key=group_key(report),
        event_keys=frozenset(e.dedupe_key for e in report.events),
        reported=reported_totals(report.accumulated, activity),
        from_events=event_totals(report.events, activity),
        received_order=received_order,
        content_datetime=report.content_datetime,
        administration_keys=frozenset(a.event_uid for a in report.administrations),
        event_values={e.dedupe_key: _event_values(e) for e in report.events},
        administration_values={a.event_uid: a.activity_mbq for a in report.administrations},
    )


def _order(o: ObjectSummary) -> tuple[datetime, int]:
    return (o.content_datetime or datetime.min, o.received_order)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= max(0.5, 0.01 * max(abs(a), abs(b)))


def combine(objects: Sequence[ObjectSummary]) -> StudyCombination:
    """Decide which objects of one study count and compute the study totals.

    X-ray events: per modality family, the best source present wins (RDSR over MPPS over header). Within
    the winning RDSRs an object whose events are a subset of another's is superseded (the cumulative RDSR
    resent after each acquisition); the rest add up when disjoint. When they overlap without one
    containing the other, totals are recomputed from unique events and flagged. Administrations
    (radiopharmaceuticals) are ranked the same way across the whole study and counted once per event UID.
    """
    flags: list[str] = []
    counted: list[ObjectSummary] = []
    superseded: list[str] = []
    outranked: list[str] = []

    def rank(members: list[ObjectSummary]) -> None:
        best = min(SOURCE_PRECEDENCE[o.source] for o in members)
        for o in members:
            if SOURCE_PRECEDENCE[o.source] != best:
                outranked.append(o.sop_instance_uid)
        for o in _drop_superseded([o for o in members if SOURCE_PRECEDENCE[o.source] == best], superseded):
            if o not in counted:
                counted.append(o)

    groups: dict[str, list[ObjectSummary]] = {}
    for o in objects:
        # A summary-only report (totals, no events) counts too, unless a fuller one contains it.
        if o.event_keys or _has_x_ray_totals(o.reported):
            groups.setdefault(o.group_key, []).append(o)
    for members in groups.values():
        rank(members)
    x_ray_counted = list(counted)
    admin_members = [o for o in objects if o.administration_keys]
    if admin_members:
        rank(admin_members)
    # An object outranked for one kind of data may still count for the other.
    counted_uids = {o.sop_instance_uid for o in counted}
    outranked = list(dict.fromkeys(u for u in outranked if u not in counted_uids))
    superseded = [u for u in superseded if u not in counted_uids]

    totals, event_keys = _x_ray_totals(x_ray_counted, flags)
    activities: dict[str, float | None] = {}
    for o in counted:
        if o in admin_members and o.sop_instance_uid not in superseded:
            for k, v in o.administration_values.items():
                activities.setdefault(k, v)
    totals.administered_activity_mbq = _sum(activities.values())

    sources = {o.source for o in counted}
    dose_source = min(sources, key=lambda s: SOURCE_PRECEDENCE[s]) if sources else None
    return StudyCombination(
        counted_objects=[o.sop_instance_uid for o in counted],
        superseded_objects=superseded,
        outranked_objects=outranked,
        counted_event_keys=event_keys,
        totals=totals,
        dose_source=dose_source,
        flags=flags,
    )


def _has_x_ray_totals(t: Totals) -> bool:
    return any(getattr(t, n) is not None for n in _TOTAL_NAMES if n != "administered_activity_mbq")


def _x_ray_totals(counted: list[ObjectSummary], flags: list[str]) -> tuple[Totals, set[str]]:
    """Totals of the counted X-ray objects: RDSRs by their reported totals, other sources by unique events."""
    totals = Totals()
    event_keys: set[str] = set()
    rdsr = [o for o in counted if o.source == DoseSource.RDSR]
    overlapping = any(a.event_keys & b.event_keys for i, a in enumerate(rdsr) for b in rdsr[i + 1 :])
    if overlapping:
        flags.append("RDSRs of this study share some but not all events; totals are from unique events")
        union: dict[str, list[float | None]] = {}
        for o in rdsr:
            event_keys |= o.event_keys
            union.update(o.event_values)
        totals = _totals_from_values(union.values())
    else:
        for o in rdsr:
            event_keys |= o.event_keys
            totals = totals.add(o.reported.fill_from(o.from_events))
            _cross_check(o, flags)
    # Header and MPPS data: each exposure once, by its dedupe key.
    others: dict[str, list[float | None]] = {}
    for o in counted:
        if o.source != DoseSource.RDSR:
            for k, v in o.event_values.items():
                if k not in event_keys:
                    others.setdefault(k, v)
    if others:
        event_keys |= set(others)
        totals = totals.add(_totals_from_values(others.values()))
    totals.administered_activity_mbq = None
    return totals, event_keys


def _drop_superseded(objs: list[ObjectSummary], superseded: list[str]) -> list[ObjectSummary]:
    """Remove objects whose events (or administrations) another object of the same source contains."""
    ordered = sorted(objs, key=_order)
    kept: list[ObjectSummary] = []
    for o in ordered:
        o_keys = o.event_keys | o.administration_keys
        later_or_bigger = [
            p
            for p in ordered
            if p is not o
            and o_keys <= (p.event_keys | p.administration_keys)
            and (o_keys != (p.event_keys | p.administration_keys) or _order(p) > _order(o))
        ]
        if later_or_bigger and o.source == DoseSource.RDSR:
            superseded.append(o.sop_instance_uid)
        else:
            kept.append(o)
    return kept


def _cross_check(o: ObjectSummary, flags: list[str]) -> None:
    for name in ("total_dlp_mgy_cm", "total_dap_gy_cm2"):
        rep, ev = getattr(o.reported, name), getattr(o.from_events, name)
        if rep is not None and ev is not None and not _close(rep, ev):
            flags.append(
                f"{o.sop_instance_uid}: reported {name} {rep:.4g} differs from the sum of its events {ev:.4g}"
            )
