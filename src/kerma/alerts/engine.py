"""The evaluation engine: one study against every enabled rule, in the caller's transaction.

Per study it reads the study (with its room and exam code) in one query, its counted events in a second
when a rule needs them, and one indexed query per patient-window or device-series rule. An alert is
inserted with ON CONFLICT DO NOTHING on (rule, scope key), so re-evaluating or re-receiving an object
never makes a second alert for the same event, study, patient window or device series.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Select, bindparam, select

from kerma.alerts import drl_lookup, rulestore
from kerma.alerts.compiled import CompiledRule, StudyContext, current_rules
from kerma.alerts.drl_lookup import DrlRef
from kerma.alerts.quantities import EVENT_COLUMNS_NEEDED, STUDY_COLUMNS, Scope, unit_of
from kerma.alerts.routing import AlertTarget, enqueue
from kerma.alerts.rules import Kind
from kerma.alerts.values import is_localizer, study_value, value_expr
from kerma.store.dml import insert_ignoring_conflicts
from kerma.store.schema.alerts import alert_changes, alert_not_applicable, alerts
from kerma.store.schema.core import devices, events, studies
from kerma.store.writer import utcnow


@dataclass(slots=True)
class Hit:
    """A rule fired for something."""

    rule: CompiledRule
    scope_key: str
    quantity: str | None
    value: float | None
    threshold: float | None
    drl: DrlRef | None = None
    event_uid: str | None = None
    event_datetime: datetime | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class NotApplicable:
    """A rule could not be evaluated for an exam (no exam code, no DRL): recorded, not an error."""

    rule: CompiledRule
    exam_code: str
    reason: str


Result = Hit | NotApplicable


@dataclass(slots=True)
class StudyOutcome:
    """What evaluating one study did."""

    new_alerts: list[int] = field(default_factory=list)
    not_applicable: int = 0


# -- reading the study ----------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _context_stmt(with_exam_code: bool) -> Select[Any]:
    """Built once per process: statement construction costs more than running it on an indexed key."""
    cols: list[Any] = [
        studies.c.id,
        studies.c.study_instance_uid,
        studies.c.study_datetime,
        studies.c.modality,
        studies.c.device_id,
        studies.c.patient_id,
        studies.c.study_description,
        studies.c.patient_age_years,
        studies.c.patient_sex,
        studies.c.patient_weight_kg,
        studies.c.is_phantom,
        *(studies.c[name] for name in STUDY_COLUMNS),
        devices.c.display_name,
        devices.c.station_name,
        devices.c.institution,
    ]
    frm = studies.outerjoin(devices, devices.c.id == studies.c.device_id)
    sec = drl_lookup.exam_code_table() if with_exam_code else None
    if sec is not None:
        cols.append(sec.c.exam_code)
        frm = frm.outerjoin(sec, sec.c.study_id == studies.c.id)
    return select(*cols).select_from(frm).where(studies.c.id == bindparam("sid"))


@lru_cache(maxsize=1)
def _events_stmt() -> Select[Any]:
    return (
        select(*(events.c[c] for c in EVENT_COLUMNS_NEEDED))
        .where(events.c.study_id == bindparam("sid"), events.c.counted.is_(True))
        .order_by(events.c.id)
    )


def load_context(conn: Connection, study_id: int) -> StudyContext | None:
    """The study with its room and exam code, in one query."""
    stmt = _context_stmt(drl_lookup._nomenclature_present(conn))
    row = conn.execute(stmt, {"sid": study_id}).mappings().first()
    if row is None:
        return None
    return StudyContext(
        id=row["id"],
        uid=row["study_instance_uid"],
        datetime=row["study_datetime"],
        modality=(row["modality"] or "").upper() or None,
        device_id=row["device_id"],
        room=row["display_name"],
        station_name=row["station_name"],
        institution=row["institution"],
        patient_id=row["patient_id"],
        age_years=row["patient_age_years"],
        sex=row["patient_sex"],
        weight_kg=row["patient_weight_kg"],
        is_phantom=bool(row["is_phantom"]),
        description=row["study_description"],
        exam_code=row.get("exam_code"),
        values={name: row[name] for name in STUDY_COLUMNS},
    )


def load_events(conn: Connection, ctx: StudyContext) -> list[Mapping[str, Any]]:
    """The study's counted events, with the columns rules read."""
    if ctx.events is None:
        ctx.events = [dict(r) for r in conn.execute(_events_stmt(), {"sid": ctx.id}).mappings()]
    return ctx.events


@lru_cache(maxsize=64)
def _window_stmt(quantities: tuple[str, ...]) -> Select[Any]:
    """A patient's studies in (start, end], with the values patient rules sum."""
    return select(
        studies.c.id,
        studies.c.study_datetime,
        studies.c.modality,
        studies.c.is_phantom,
        *(value_expr(q).label(q) for q in quantities),
    ).where(
        studies.c.patient_id == bindparam("pid"),
        studies.c.study_datetime > bindparam("start"),
        studies.c.study_datetime <= bindparam("end"),
    )


@lru_cache(maxsize=64)
def _series_stmt(quantities: tuple[str, ...], phantoms: bool) -> Select[Any]:
    """The last exams with one exam code on one room up to a moment, newest first."""
    sec = drl_lookup.exam_code_table()
    assert sec is not None
    conds: list[Any] = [
        studies.c.device_id == bindparam("device"),
        sec.c.exam_code == bindparam("code"),
        studies.c.study_datetime <= bindparam("end"),
    ]
    if not phantoms:
        conds.append(studies.c.is_phantom.is_(False))
    return (
        select(
            studies.c.id,
            studies.c.study_instance_uid,
            studies.c.is_phantom,
            *(value_expr(q).label(q) for q in quantities),
        )
        .select_from(studies.join(sec, sec.c.study_id == studies.c.id))
        .where(*conds)
        .order_by(studies.c.study_datetime.desc(), studies.c.id.desc())
        .limit(bindparam("n"))
    )


# -- evaluating one rule ---------------------------------------------------------------------------


def _key(prefix: str, *parts: str) -> str:
    key = ":".join((prefix, *parts))
    if len(key) <= 200:
        return key
    return f"{prefix}:#" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def _drl(conn: Connection, cr: CompiledRule, ctx: StudyContext) -> DrlRef | NotApplicable:
    assert cr.info is not None and cr.info.drl_quantity is not None
    if not ctx.exam_code:
        return NotApplicable(cr, "", "the study has no exam code, so no DRL to compare with")
    ref = drl_lookup.active_drl(
        conn,
        ctx.exam_code,
        cr.info.drl_quantity,
        # An event is compared with a DRL per exposure, a study or a series of studies with one per study.
        per="exposure" if cr.rule.scope is Scope.EVENT else "study",
        site=ctx.institution,
        age_years=ctx.age_years,
        weight_kg=ctx.weight_kg,
    )
    if ref is None:
        return NotApplicable(
            cr, ctx.exam_code, f"no active DRL for exam code {ctx.exam_code} and {cr.info.drl_quantity}"
        )
    return ref


def _limit(
    conn: Connection, cr: CompiledRule, ctx: StudyContext
) -> tuple[float, DrlRef | None] | NotApplicable:
    rule = cr.rule
    if rule.threshold is not None:
        return rule.threshold, None
    ref = _drl(conn, cr, ctx)
    if isinstance(ref, NotApplicable):
        return ref
    assert rule.drl_factor is not None
    return rule.drl_factor * ref.value, ref


def _event_rule(conn: Connection, cr: CompiledRule, ctx: StudyContext) -> list[Result]:
    assert cr.rule.quantity is not None
    q = cr.rule.quantity
    out: list[Result] = []
    limit: tuple[float, DrlRef | None] | NotApplicable | None = None
    for ev in load_events(conn, ctx):
        v = ev.get(q)
        if v is None or not cr.event_ok(ev, ctx):
            continue
        if limit is None:
            limit = _limit(conn, cr, ctx)
        if isinstance(limit, NotApplicable):
            return [limit]
        if v > limit[0]:
            out.append(
                Hit(
                    cr,
                    _key("e", ctx.uid, str(ev["dedupe_key"])),
                    q,
                    float(v),
                    limit[0],
                    limit[1],
                    ev["irradiation_event_uid"],
                    ev.get("datetime_started"),
                    {"protocol": ev.get("protocol"), "target_region": ev.get("target_region")},
                )
            )
    return out


def _study_rule(conn: Connection, cr: CompiledRule, ctx: StudyContext) -> list[Result]:
    assert cr.rule.quantity is not None
    evs = load_events(conn, ctx) if cr.needs_events else None
    v = study_value(cr.rule.quantity, ctx.values, evs)
    if v is None:
        return []
    limit = _limit(conn, cr, ctx)
    if isinstance(limit, NotApplicable):
        return [limit]
    if v > limit[0]:
        return [Hit(cr, _key("s", ctx.uid), cr.rule.quantity, float(v), limit[0], limit[1])]
    return []


def _patient_window(
    conn: Connection, ctx: StudyContext, rules: Sequence[CompiledRule]
) -> list[Mapping[str, Any]]:
    """The patient's studies in the longest window any patient rule uses, read once per study."""
    rows = ctx.shared.get("patient")
    if rows is None:
        assert ctx.datetime is not None
        quantities = tuple(sorted({str(r.rule.quantity) for r in rules}))
        days = max(int(r.rule.params.get("window_days", 365)) for r in rules)
        # The patient is whoever the study belongs to now: a merge of identities is seen at once.
        params = {"pid": ctx.patient_id, "start": ctx.datetime - timedelta(days=days), "end": ctx.datetime}
        rows = [dict(r) for r in conn.execute(_window_stmt(quantities), params).mappings()]
        ctx.shared["patient"] = rows
    return rows


def _patient_rule(conn: Connection, cr: CompiledRule, ctx: StudyContext) -> list[Result]:
    rule = cr.rule
    assert rule.quantity is not None and rule.threshold is not None
    if ctx.patient_id is None or ctx.datetime is None:
        return []
    days = int(rule.params.get("window_days", 365))
    start = ctx.datetime - timedelta(days=days)
    rows = [
        r
        for r in _patient_window(conn, ctx, ctx.shared["patient_rules"])
        if r["study_datetime"] > start
        and (rule.filters.include_phantoms or not r["is_phantom"])
        and (not cr.modalities or (r["modality"] or "").upper() in cr.modalities)
    ]
    vals = [float(r[rule.quantity]) for r in rows if r[rule.quantity] is not None]
    total = float(sum(vals))
    if not vals or total <= rule.threshold:
        return []
    # One alert per rule and patient window: none if one was raised for a study in this window already.
    if _alert_among(conn, cr, [int(r["id"]) for r in rows]):
        return []
    details = {"window_days": days, "window_start": start.isoformat(), "studies": len(vals)}
    return [Hit(cr, _key("p", ctx.uid), rule.quantity, total, rule.threshold, details=details)]


def _alert_among(conn: Connection, cr: CompiledRule, study_ids: Sequence[int]) -> bool:
    if not study_ids:
        return False
    row = conn.execute(
        select(alerts.c.id).where(alerts.c.rule_id == cr.id, alerts.c.study_id.in_(list(study_ids))).limit(1)
    ).first()
    return row is not None


def _device_series(
    conn: Connection, cr: CompiledRule, ctx: StudyContext, count: int
) -> list[tuple[int, str, float]] | NotApplicable:
    """The last ``count`` exams with this exam code on this room up to this study: (id, uid, value)."""
    assert cr.rule.quantity is not None
    if not ctx.exam_code or not drl_lookup._nomenclature_present(conn):
        return NotApplicable(cr, ctx.exam_code or "", "the study has no exam code, so no series to compare")
    rows = ctx.shared.get("series")
    if rows is None:
        # One read for every device-series rule: the longest series, with each rule's quantity.
        rules: Sequence[CompiledRule] = ctx.shared["series_rules"]
        quantities = tuple(sorted({str(r.rule.quantity) for r in rules}))
        n = max(int(r.rule.params.get("count", 20)) for r in rules)
        phantoms = any(r.rule.filters.include_phantoms for r in rules)
        params = {"device": ctx.device_id, "code": ctx.exam_code, "end": ctx.datetime, "n": n}
        rows = [dict(r) for r in conn.execute(_series_stmt(quantities, phantoms), params).mappings()]
        ctx.shared["series"] = rows
    q = cr.rule.quantity
    mine = [r for r in rows if cr.rule.filters.include_phantoms or not r["is_phantom"]][:count]
    return [(int(r["id"]), str(r["study_instance_uid"]), float(r[q])) for r in mine if r[q] is not None]


def _device_rule(conn: Connection, cr: CompiledRule, ctx: StudyContext) -> list[Result]:
    rule = cr.rule
    if ctx.device_id is None or ctx.datetime is None:
        return []
    count = int(rule.params.get("count", 20))
    series = _device_series(conn, cr, ctx, count)
    if isinstance(series, NotApplicable):
        return [series]
    if len(series) < int(rule.params.get("min_count", 1)):
        return []
    mean = sum(v for _, _, v in series) / len(series)
    limit = _limit(conn, cr, ctx)
    if isinstance(limit, NotApplicable):
        return [limit]
    if mean <= limit[0] or _alert_among(conn, cr, [i for i, _, _ in series]):
        return []
    details = {"count": len(series), "statistic": "mean", "studies": [u for _, u, _ in series]}
    return [Hit(cr, _key("d", ctx.uid), rule.quantity, mean, limit[0], limit[1], details=details)]


def _group_rule(conn: Connection, cr: CompiledRule, ctx: StudyContext) -> list[Result]:
    """German group criterion: one exam above trigger_factor x DRL, then the mean of the last ``count``
    exams of the same exam code on the same room above mean_factor x DRL."""
    rule, p = cr.rule, cr.rule.params
    assert rule.quantity is not None
    if ctx.device_id is None or ctx.datetime is None:
        return []
    evs = load_events(conn, ctx) if rule.quantity not in STUDY_COLUMNS else None
    v = study_value(rule.quantity, ctx.values, evs)
    if v is None:
        return []
    ref = _drl(conn, cr, ctx)
    if isinstance(ref, NotApplicable):
        return [ref]
    if v <= p["trigger_factor"] * ref.value:
        return []
    series = _device_series(conn, cr, ctx, int(p["count"]))
    if isinstance(series, NotApplicable):
        return [series]
    if len(series) < int(p["min_count"]):
        return []
    mean = sum(x for _, _, x in series) / len(series)
    limit = p["mean_factor"] * ref.value
    if mean <= limit or _alert_among(conn, cr, [i for i, _, _ in series]):
        return []
    details = {
        "trigger_value": v,
        "trigger_limit": p["trigger_factor"] * ref.value,
        "count": len(series),
        "statistic": "mean",
        "studies": [u for _, u, _ in series],
    }
    return [Hit(cr, _key("g", ctx.uid), rule.quantity, mean, limit, ref, details=details)]


def _dose_check_rule(conn: Connection, cr: CompiledRule, ctx: StudyContext) -> list[Result]:
    which = cr.rule.params.get("which", "alert")
    out: list[Result] = []
    for ev in load_events(conn, ctx):
        fired = {
            "alert": bool(ev.get("dose_check_alert")),
            "notification": bool(ev.get("dose_check_notification")),
        }
        hit = fired["alert"] or fired["notification"] if which == "any" else fired[which]
        if not hit or not cr.event_ok(ev, ctx):
            continue
        part_name = "alert" if which == "alert" or (which == "any" and fired["alert"]) else "notification"
        part = (ev.get("dose_check") or {}).get(part_name) or {}
        quantity, value, threshold = _dose_check_values(part, part_name)
        out.append(
            Hit(
                cr,
                _key("e", ctx.uid, str(ev["dedupe_key"])),
                quantity,
                value,
                threshold,
                None,
                ev["irradiation_event_uid"],
                ev.get("datetime_started"),
                {"dose_check": part_name, "recorded": part, "protocol": ev.get("protocol")},
            )
        )
    return out


def _dose_check_values(part: Mapping[str, Any], name: str) -> tuple[str | None, float | None, float | None]:
    """The forward estimate and configured value the scanner recorded (CTDIvol first, then DLP)."""
    if name == "alert":
        pairs = (
            ("ctdivol_mgy", "accumulated_ctdivol_forward_estimate_mgy", "ctdivol_alert_value_mgy"),
            ("dlp_mgy_cm", "accumulated_dlp_forward_estimate_mgy_cm", "dlp_alert_value_mgy_cm"),
        )
    else:
        pairs = (
            ("ctdivol_mgy", "ctdivol_forward_estimate_mgy", "ctdivol_notification_value_mgy"),
            ("dlp_mgy_cm", "dlp_forward_estimate_mgy_cm", "dlp_notification_value_mgy_cm"),
        )
    for quantity, est, conf in pairs:
        if part.get(est) is not None:
            return quantity, float(part[est]), _float(part.get(conf))
    for quantity, _, conf in pairs:
        if part.get(conf) is not None:
            return quantity, None, _float(part.get(conf))
    return None, None, None


def _float(v: Any) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def _single_person_rule(conn: Connection, cr: CompiledRule, ctx: StudyContext) -> list[Result]:
    """German single-person criteria: CTDIvol per series or per exam (brain / other CT), and the total
    DAP of a diagnostic fluoroscopy."""
    p = cr.rule.params
    out: list[Result] = []
    if ctx.modality in {m.upper() for m in p.get("fluoro_modalities", [])}:
        dap = ctx.values.get("total_dap_gy_cm2")
        limit = float(p["fluoro_dap_gy_cm2"])
        if dap is not None and dap > limit:
            out.append(
                Hit(
                    cr,
                    _key("s", ctx.uid, "fluoro"),
                    "total_dap_gy_cm2",
                    float(dap),
                    limit,
                    details={"criterion": "fluoroscopy DAP"},
                )
            )
    ct = [
        ev
        for ev in load_events(conn, ctx)
        if (ev.get("modality") or ctx.modality) == "CT"
        and ev.get("ctdivol_mgy") is not None
        and cr.event_ok(ev, ctx)
    ]
    if not ct:
        return out
    pattern = re.compile(str(p.get("brain_pattern") or r"$^"))
    brain_codes = {str(c) for c in p.get("brain_exam_codes", [])}
    exam_brain = (
        (ctx.exam_code in brain_codes) if ctx.exam_code else bool(pattern.search(ctx.description or ""))
    )
    brain_limit, other_limit = float(p["ct_brain_mgy"]), float(p["ct_other_mgy"])
    if p.get("ct_per") == "exam":
        series = [ev for ev in ct if not is_localizer(ev)]
        total = float(sum(float(ev["ctdivol_mgy"]) for ev in series))
        limit = brain_limit if exam_brain else other_limit
        if total > limit:
            details = {"criterion": "CT per exam", "brain": exam_brain, "series": len(series)}
            out.append(Hit(cr, _key("s", ctx.uid), "ctdivol_mgy_sum", total, limit, details=details))
        return out
    worst: tuple[float, float, Mapping[str, Any], bool] | None = None
    above = []
    for ev in ct:
        region = ev.get("target_region")
        brain = bool(pattern.search(region)) if region else exam_brain
        limit = brain_limit if brain else other_limit
        v = float(ev["ctdivol_mgy"])
        if v > limit:
            above.append(
                {"event": ev["irradiation_event_uid"], "ctdivol_mgy": v, "limit_mgy": limit, "brain": brain}
            )
            if worst is None or v / limit > worst[0] / worst[1]:
                worst = (v, limit, ev, brain)
    if worst is not None:
        details = {"criterion": "CT per series", "brain": worst[3], "series_above": above}
        out.append(
            Hit(
                cr,
                _key("s", ctx.uid),
                "ctdivol_mgy",
                worst[0],
                worst[1],
                event_uid=worst[2]["irradiation_event_uid"],
                event_datetime=worst[2].get("datetime_started"),
                details=details,
            )
        )
    return out


_BY_KIND = {
    Kind.DOSE_CHECK: _dose_check_rule,
    Kind.DE_SINGLE_PERSON: _single_person_rule,
    Kind.DE_GROUP: _group_rule,
}
_BY_SCOPE = {
    Scope.EVENT: _event_rule,
    Scope.STUDY: _study_rule,
    Scope.PATIENT: _patient_rule,
    Scope.DEVICE: _device_rule,
}


def evaluate_rule(conn: Connection, cr: CompiledRule, ctx: StudyContext) -> list[Result]:
    """One rule against one study (filters first)."""
    if not cr.study_ok(ctx):
        return []
    fn = _BY_KIND.get(cr.rule.kind) or _BY_SCOPE[cr.rule.scope]
    return fn(conn, cr, ctx)


# -- writing the outcome ---------------------------------------------------------------------------

# A new alert, unless the rule already raised one for the same scope key (values come as parameters).
_INSERT_ALERT = insert_ignoring_conflicts(alerts).returning(alerts.c.id)


_na_lock = threading.Lock()
_na_seen: set[tuple[str, int, str]] = set()


def _forget_not_applicable() -> None:
    with _na_lock:
        _na_seen.clear()


rulestore.on_change(_forget_not_applicable)


def _record_not_applicable(conn: Connection, na: NotApplicable, ctx: StudyContext, now: datetime) -> bool:
    key = (str(conn.engine.url), na.rule.id, na.exam_code)
    with _na_lock:
        if key in _na_seen:
            return False
    conn.execute(
        insert_ignoring_conflicts(alert_not_applicable).values(
            rule_id=na.rule.id,
            exam_code=na.exam_code,
            reason=na.reason,
            first_study_id=ctx.id,
            first_seen_at=now,
        )
    )
    # Remembered for the process: later studies with this exam code cost no write.
    with _na_lock:
        _na_seen.add(key)
    return True


def _write_hit(conn: Connection, hit: Hit, ctx: StudyContext, now: datetime) -> int | None:
    rule = hit.rule.rule
    details = dict(hit.details)
    if hit.drl is not None:
        details["drl_set"] = hit.drl.set_name
        details["drl_band"] = hit.drl.band_label
    details["reason"] = describe(hit)
    values = {
        "rule_id": hit.rule.id,
        "scope": rule.scope.value,
        "scope_key": hit.scope_key,
        "study_id": ctx.id,
        "device_id": ctx.device_id,
        "irradiation_event_uid": hit.event_uid,
        "exam_code": ctx.exam_code,
        "modality": ctx.modality,
        "quantity": hit.quantity,
        "value": hit.value,
        "threshold": hit.threshold,
        "drl_value": hit.drl.value if hit.drl is not None else None,
        "drl_factor": rule.drl_factor,
        "severity": rule.severity.value,
        "details": details,
        "state": "new",
        "event_datetime": hit.event_datetime or ctx.datetime,
        "detected_at": now,
        "updated_at": now,
        "updated_by": "kerma",
    }
    row = conn.execute(_INSERT_ALERT, values).first()
    if row is None:
        return None
    alert_id = int(row[0])
    conn.execute(
        alert_changes.insert(),
        {
            "alert_id": alert_id,
            "at": now,
            "actor": "kerma",
            "from_state": None,
            "to_state": "new",
            "comment": details["reason"],
        },
    )
    enqueue(
        conn,
        rule,
        AlertTarget(alert_id, rule.severity.value, ctx.modality, ctx.device_id, ctx.room, ctx.station_name),
        now,
    )
    return alert_id


def describe(hit: Hit) -> str:
    """One line saying why the rule fired."""
    rule = hit.rule.rule
    unit = unit_of(hit.quantity)
    value = "—" if hit.value is None else f"{hit.value:.4g}"
    if rule.kind is Kind.DOSE_CHECK:
        limit = "" if hit.threshold is None else f" (configured {hit.threshold:.4g} {unit})"
        which = hit.details.get("dose_check")
        return f"CT Dose Check {which} recorded by the scanner: {hit.quantity} estimate {value} {unit}{limit}"
    base = (
        f"{hit.quantity} {value} {unit} above {hit.threshold:.4g} {unit}"
        if hit.threshold is not None
        else f"{hit.quantity} {value} {unit}"
    )
    if hit.drl is not None:
        factor = rule.params.get("mean_factor") if rule.kind is Kind.DE_GROUP else rule.drl_factor
        base += f" = {factor:g} × DRL {hit.drl.value:.4g} {unit} ({hit.drl.set_name}, {hit.drl.exam_code})"
    if rule.kind is Kind.DE_GROUP:
        base = f"mean of the last {hit.details.get('count')} exams: " + base
    if rule.scope is Scope.PATIENT:
        base = f"cumulative over {hit.details.get('window_days')} days: " + base
    if rule.kind is Kind.DE_SINGLE_PERSON:
        base = f"{hit.details.get('criterion')}: " + base
    return base


def evaluate_study(conn: Connection, study_id: int, now: datetime | None = None) -> StudyOutcome:
    """Evaluate every enabled rule for one study, in the caller's transaction."""
    ruleset = current_rules(conn)
    outcome = StudyOutcome()
    if ruleset.empty:
        return outcome
    ctx = load_context(conn, study_id)
    if ctx is None:
        return outcome
    now = now or utcnow()
    ctx.shared["patient_rules"] = ruleset.patient_rules
    ctx.shared["series_rules"] = ruleset.series_rules
    for cr in ruleset.rules:
        for res in evaluate_rule(conn, cr, ctx):
            if isinstance(res, NotApplicable):
                if _record_not_applicable(conn, res, ctx, now):
                    outcome.not_applicable += 1
                continue
            alert_id = _write_hit(conn, res, ctx, now)
            if alert_id is not None:
                outcome.new_alerts.append(alert_id)
    return outcome


__all__ = [
    "Hit",
    "NotApplicable",
    "StudyOutcome",
    "describe",
    "evaluate_rule",
    "evaluate_study",
    "load_context",
]
