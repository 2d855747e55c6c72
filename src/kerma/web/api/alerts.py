"""REST API for alerts (under /api/alerts): the alert list with filters, one alert with its history,
review state changes and comments, the export of reportable events, rules and presets, recipients, the
outbox; plus plain server-rendered pages at /alerts and /alerts/rules that the dashboard can restyle.

Reads need a viewer, writes an MPE (the app's route policy). Patients appear only by pseudonym.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import Connection, Engine

from kerma.alerts import presets as presets_mod
from kerma.alerts.delivery import list_outbox, retry
from kerma.alerts.history import evaluate_range
from kerma.alerts.queries import AlertFilter, count_alerts, export_rows, get_alert, list_alerts, state_counts
from kerma.alerts.review import ReviewError, State, add_comment, change_state, parse_state
from kerma.alerts.routing import RecipientError, add_recipient, list_recipients, remove_recipient
from kerma.alerts.rules import RuleError, rule_from_dict
from kerma.alerts.rulestore import create_rule, delete_rule, get_rule, list_rules, not_applicable, update_rule
from kerma.alerts.summary import build_summary, period_for
from kerma.config import Settings
from kerma.reports.tabular import FORMATS, write_csv, write_json, write_xlsx
from kerma.web.deps import get_engine, get_settings

router = APIRouter(prefix="/api/alerts", tags=["alerts"])
pages = APIRouter(include_in_schema=False)

EngineDep = Annotated[Engine, Depends(get_engine)]


def _actor(request: Request) -> str:
    principal = getattr(request.state, "principal", None)
    return str(getattr(principal, "username", None) or "api")


@contextmanager
def _tx(engine: Engine) -> Iterator[Connection]:
    with engine.begin() as conn:
        yield conn


# -- request bodies ----------------------------------------------------------------------------------


class RuleIn(BaseModel):
    """A trigger rule. ``threshold`` is in ``unit`` (default: the quantity's canonical unit)."""

    name: str
    kind: str = "threshold"
    scope: str | None = None
    quantity: str | None = None
    threshold: float | str | None = None
    drl_factor: float | str | None = None
    unit: str | None = None
    filters: dict[str, Any] = Field(default_factory=dict)
    params: dict[str, Any] = Field(default_factory=dict)
    severity: str = "warning"
    notify_roles: list[str] = Field(default_factory=list)
    enabled: bool = True
    description: str | None = None


class RulePatch(BaseModel):
    """Fields to change; the whole rule is checked again."""

    name: str | None = None
    threshold: float | str | None = None
    drl_factor: float | str | None = None
    unit: str | None = None
    filters: dict[str, Any] | None = None
    params: dict[str, Any] | None = None
    severity: str | None = None
    notify_roles: list[str] | None = None
    enabled: bool | None = None
    description: str | None = None


class StateIn(BaseModel):
    """A review step."""

    state: str
    comment: str | None = None


class CommentIn(BaseModel):
    """A comment on an alert."""

    comment: str


class PresetCopy(BaseModel):
    """Name of the copy (default: the preset's name)."""

    name: str | None = None


class RecipientIn(BaseModel):
    """A recipient of notifications."""

    name: str
    channel: str = "email"
    address: str | None = None
    role: str = "mpe"
    rooms: list[str] = Field(default_factory=list)
    modalities: list[str] = Field(default_factory=list)
    min_severity: str = "info"
    digest_minutes: int = 0
    receives_reports: bool = False
    secret: str | None = None


class EvaluateIn(BaseModel):
    """Range of exam dates to evaluate (all history when empty)."""

    date_from: datetime | None = None
    date_to: datetime | None = None


# -- alerts -----------------------------------------------------------------------------------------


def _filter(
    state: list[str] | None,
    rule_id: list[int] | None,
    modality: list[str] | None,
    device_id: list[int] | None,
    exam_code: list[str] | None,
    severity: list[str] | None,
    date_from: datetime | None,
    date_to: datetime | None,
    study_instance_uid: str | None,
    limit: int | None,
    offset: int,
) -> AlertFilter:
    try:
        states = [parse_state(s).value for s in state or []]
    except ReviewError as exc:
        raise HTTPException(422, str(exc)) from None
    return AlertFilter(
        states=states,
        rule_ids=rule_id or [],
        modalities=modality or [],
        device_ids=device_id or [],
        exam_codes=exam_code or [],
        severities=severity or [],
        date_from=date_from,
        date_to=date_to,
        study_instance_uid=study_instance_uid,
        limit=limit,
        offset=offset,
    )


@router.get("", summary="Alerts, newest first, with filters")
def alerts_list(
    engine: EngineDep,
    state: Annotated[list[str] | None, Query()] = None,
    rule_id: Annotated[list[int] | None, Query()] = None,
    modality: Annotated[list[str] | None, Query()] = None,
    device_id: Annotated[list[int] | None, Query()] = None,
    exam_code: Annotated[list[str] | None, Query()] = None,
    severity: Annotated[list[str] | None, Query()] = None,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    study_instance_uid: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """``items`` (the alerts), ``total`` (matching the filter) and ``counts`` (all alerts per state)."""
    f = _filter(
        state,
        rule_id,
        modality,
        device_id,
        exam_code,
        severity,
        date_from,
        date_to,
        study_instance_uid,
        limit,
        offset,
    )
    with engine.connect() as conn:
        return {"total": count_alerts(conn, f), "items": list_alerts(conn, f), "counts": state_counts(conn)}


@router.get("/export", summary="Export events (reportable by default) as CSV, XLSX or JSON")
def alerts_export(
    engine: EngineDep,
    format: Annotated[str, Query(description="csv, xlsx or json")] = "csv",
    state: Annotated[list[str] | None, Query()] = None,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
) -> Response:
    """Date, room, exam, quantity, value, threshold, DRL, patient pseudonym, age/sex, trigger and the reason
    of the decision: what an authority asks for."""
    if format not in FORMATS:
        raise HTTPException(422, f"format: use one of {', '.join(FORMATS)}")
    f = _filter(state or ["reportable"], None, None, None, None, None, date_from, date_to, None, None, 0)
    with engine.connect() as conn:
        columns, rows = export_rows(conn, f)
    name = f"kerma-alerts-{'-'.join(f.states)}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "xlsx":
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            write_xlsx(columns, rows, path, sheet="events")
            data = path.read_bytes()
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return Response(data, media_type=media, headers=headers)
    buf = io.StringIO()
    (write_csv if format == "csv" else write_json)(columns, rows, buf)
    media = "text/csv; charset=utf-8" if format == "csv" else "application/json"
    return Response(buf.getvalue(), media_type=media, headers=headers)


# -- rules -------------------------------------------------------------------------------------------


@router.get("/rules", summary="Trigger rules")
def rules_list(engine: EngineDep) -> list[dict[str, Any]]:
    """Every rule, as data."""
    with engine.connect() as conn:
        return [r.as_dict() for r in list_rules(conn)]


@router.post("/rules", status_code=201, summary="Add a trigger rule")
def rules_create(body: RuleIn, request: Request, engine: EngineDep) -> dict[str, Any]:
    """Returns the stored rule and ``warnings`` (e.g. no active DRL for an exam code it filters on)."""
    data = body.model_dump()
    unit = data.pop("unit")
    try:
        rule = rule_from_dict(data, unit=unit)
        with _tx(engine) as conn:
            saved = create_rule(conn, rule, _actor(request))
    except RuleError as exc:
        raise HTTPException(422, str(exc)) from None
    return {"rule": saved.rule.as_dict(), "warnings": saved.warnings}


@router.get("/rules/{ref}", summary="One rule")
def rules_get(ref: str, engine: EngineDep) -> dict[str, Any]:
    """A rule by id or name."""
    with engine.connect() as conn:
        rule = get_rule(conn, ref)
    if rule is None:
        raise HTTPException(404, f"no rule {ref}")
    return rule.as_dict()


@router.patch("/rules/{ref}", summary="Change a rule")
def rules_patch(ref: str, body: RulePatch, request: Request, engine: EngineDep) -> dict[str, Any]:
    """Only the given fields change; a new threshold clears the DRL factor and the other way round."""
    changes = body.model_dump(exclude_unset=True)
    unit = changes.pop("unit", None)
    try:
        with _tx(engine) as conn:
            saved = update_rule(conn, ref, changes, _actor(request), unit=unit)
    except LookupError as exc:
        raise HTTPException(404, str(exc.args[0])) from None
    except RuleError as exc:
        raise HTTPException(422, str(exc)) from None
    return {"rule": saved.rule.as_dict(), "warnings": saved.warnings}


@router.delete("/rules/{ref}", summary="Delete a rule (disabled instead when it raised alerts)")
def rules_delete(ref: str, request: Request, engine: EngineDep) -> dict[str, str]:
    """``outcome``: deleted or disabled."""
    try:
        with _tx(engine) as conn:
            return {"outcome": delete_rule(conn, ref, _actor(request))}
    except LookupError as exc:
        raise HTTPException(404, str(exc.args[0])) from None


@router.get("/presets", summary="Preset rules with their sources")
def presets_list() -> list[dict[str, Any]]:
    """Presets; those from memory say 'unverified — check the source'."""
    return [p.as_dict() for p in presets_mod.PRESETS]


@router.post("/presets/{preset_id}/copy", status_code=201, summary="Copy a preset into the rules")
def presets_copy(preset_id: str, body: PresetCopy, request: Request, engine: EngineDep) -> dict[str, Any]:
    """The copy is an ordinary, editable rule."""
    try:
        with _tx(engine) as conn:
            saved = presets_mod.copy_preset(conn, preset_id, _actor(request), name=body.name)
    except KeyError as exc:
        raise HTTPException(404, str(exc.args[0])) from None
    except RuleError as exc:
        raise HTTPException(422, str(exc)) from None
    return {"rule": saved.rule.as_dict(), "warnings": saved.warnings}


@router.get("/not-applicable", summary="Exam codes a rule had no DRL or exam code for")
def rules_not_applicable(engine: EngineDep) -> list[dict[str, Any]]:
    """Recorded, not errors: a DRL rule is 'not applicable' where no DRL is in force."""
    with engine.connect() as conn:
        return not_applicable(conn)


@router.post("/evaluate", summary="Evaluate the rules over stored history")
def evaluate(body: EvaluateIn, engine: EngineDep) -> dict[str, int]:
    """Never makes a second alert for the same event (or study, patient window, device series) and rule."""
    return evaluate_range(engine, body.date_from, body.date_to).as_dict()


@router.get("/summary", summary="The scheduled summary's content for a period")
def summary(
    engine: EngineDep,
    settings: Annotated[Settings, Depends(get_settings)],
    date_from: datetime | None = None,
    date_to: datetime | None = None,
) -> dict[str, Any]:
    """Exams, alerts, rooms above the DRL and unmapped names (default: the last complete period)."""
    from kerma.alerts.config import alerts_config
    from kerma.store.writer import utcnow

    if (date_from is None) != (date_to is None):
        raise HTTPException(422, "give both date_from and date_to, or neither")
    if date_from is None or date_to is None:
        date_from, date_to = period_for(utcnow(), alerts_config(settings).report)
    with engine.connect() as conn:
        return build_summary(conn, date_from, date_to)


# -- recipients and outbox ------------------------------------------------------------------------


@router.get("/recipients", summary="Recipients of notifications")
def recipients_list(engine: EngineDep) -> list[dict[str, Any]]:
    """Webhook secrets are never returned."""
    with engine.connect() as conn:
        return [r.as_dict() for r in list_recipients(conn)]


@router.post("/recipients", status_code=201, summary="Add a recipient")
def recipients_create(body: RecipientIn, request: Request, engine: EngineDep) -> dict[str, Any]:
    """For a webhook without a secret one is generated and returned once (``secret``)."""
    try:
        with _tx(engine) as conn:
            rec, generated = add_recipient(conn, body.model_dump(), _actor(request))
    except RecipientError as exc:
        raise HTTPException(422, str(exc)) from None
    out = rec.as_dict()
    if generated:
        out["secret"] = generated
    return out


@router.delete("/recipients/{ref}", summary="Remove a recipient (disabled when notified before)")
def recipients_delete(ref: str, request: Request, engine: EngineDep) -> dict[str, str]:
    """``outcome``: deleted or disabled."""
    try:
        with _tx(engine) as conn:
            return {"outcome": remove_recipient(conn, ref, _actor(request))}
    except LookupError as exc:
        raise HTTPException(404, str(exc.args[0])) from None


@router.get("/outbox", summary="Notifications: pending, held, sent, failed")
def outbox(engine: EngineDep, state: Annotated[list[str] | None, Query()] = None) -> list[dict[str, Any]]:
    """With attempts and the last error, so an undelivered notification is visible."""
    with engine.connect() as conn:
        return list_outbox(conn, state or None)


@router.post("/outbox/{outbox_id}/retry", summary="Send a failed notification again")
def outbox_retry(outbox_id: int, request: Request, engine: EngineDep) -> dict[str, str]:
    """Back to pending with a fresh count of attempts."""
    try:
        with _tx(engine) as conn:
            retry(conn, outbox_id, _actor(request))
    except LookupError as exc:
        raise HTTPException(404, str(exc.args[0])) from None
    except ValueError as exc:
        raise HTTPException(409, str(exc)) from None
    return {"outcome": "pending"}


# -- one alert (after the fixed paths, so /rules etc. are not read as an id) -----------------------------


@router.get("/{alert_id}", summary="One alert with its review history")
def alert_get(alert_id: int, engine: EngineDep) -> dict[str, Any]:
    """Who changed what and when, with comments."""
    with engine.connect() as conn:
        a = get_alert(conn, alert_id)
    if a is None:
        raise HTTPException(404, f"no alert {alert_id}")
    return a


@router.post("/{alert_id}/state", summary="Move an alert through its review")
def alert_state(alert_id: int, body: StateIn, request: Request, engine: EngineDep) -> dict[str, Any]:
    """States: new, acknowledged, under_review, reportable, not_reportable, closed (a decision on
    reportability needs a comment). 409 when the move is not allowed."""
    try:
        with _tx(engine) as conn:
            change_state(conn, alert_id, body.state, _actor(request), body.comment)
            a = get_alert(conn, alert_id)
    except LookupError as exc:
        raise HTTPException(404, str(exc.args[0])) from None
    except ReviewError as exc:
        raise HTTPException(409, str(exc)) from None
    assert a is not None
    return a


@router.post("/{alert_id}/comments", status_code=201, summary="Comment on an alert")
def alert_comment(alert_id: int, body: CommentIn, request: Request, engine: EngineDep) -> dict[str, Any]:
    """The comment is kept in the alert's history with who and when."""
    try:
        with _tx(engine) as conn:
            add_comment(conn, alert_id, _actor(request), body.comment)
            a = get_alert(conn, alert_id)
    except LookupError as exc:
        raise HTTPException(404, str(exc.args[0])) from None
    except ReviewError as exc:
        raise HTTPException(422, str(exc)) from None
    assert a is not None
    return a


# -- pages ------------------------------------------------------------------------------------------

_INBOX = """{% extends "base.html" %}
{% block title %}Alerts{% endblock %}
{% block main %}
<h1>Alerts</h1>
<nav class="tabs">
  <a href="/alerts"{% if not state %} class="active"{% endif %}>open</a>
  {% for s, n in counts.items() %}
  <a href="/alerts?state={{ s }}"{% if state == s %} class="active"{% endif %}>
    {{ s|replace('_', ' ') }} ({{ n }})</a>
  {% endfor %}
  <a href="/alerts/rules">rules</a>
</nav>
{% if not items %}<p class="empty">No alerts here.</p>{% else %}
<table class="alerts">
<thead><tr><th>id</th><th>exam</th><th>room</th><th>rule</th><th>why</th><th>state</th></tr></thead>
<tbody>
{% for a in items %}<tr class="severity-{{ a.severity }}">
<td><a href="/alerts/{{ a.id }}">{{ a.id }}</a></td>
<td class="nowrap">{{ a.event_datetime|when if a.event_datetime else '' }}
  {{ a.modality or '' }} {{ a.exam_code or '' }}</td>
<td>{{ a.room or '' }}</td>
<td>{{ a.rule }}</td>
<td>{{ a.reason or '' }}</td>
<td>{{ a.state|replace('_', ' ') }}</td>
</tr>{% endfor %}
</tbody></table>{% endif %}
<p><a href="/api/alerts/export?format=csv">Export reportable events (CSV)</a>
 · <a href="/api/alerts/export?format=xlsx">XLSX</a></p>
{% endblock %}"""

_DETAIL = """{% extends "base.html" %}
{% block title %}Alert {{ a.id }}{% endblock %}
{% block main %}
<h1>Alert {{ a.id }}: {{ a.rule }}</h1>
{% if message %}<p class="notice error" role="alert">{{ message }}</p>{% endif %}
<dl class="facts">
<dt>state</dt><dd>{{ a.state|replace('_', ' ') }}</dd>
<dt>why</dt><dd>{{ a.reason or '' }}</dd>
<dt>exam</dt><dd>{{ a.event_datetime|when if a.event_datetime else '' }} · {{ a.modality or '' }}
  · {{ a.exam_code or '' }} {{ a.exam_name or '' }}</dd>
<dt>room</dt><dd>{{ a.room or '' }}</dd>
<dt>study</dt><dd>{% if a.study_instance_uid %}<a href="/studies/{{ a.study_instance_uid }}">
  {{ a.study_description or a.study_instance_uid }}</a>{% endif %} {{ a.accession_number or '' }}</dd>
<dt>patient</dt><dd>{% if a.patient_key %}
  <a href="/patients/{{ a.patient_key }}">{{ a.patient_key }}</a>{% endif %}
  · age {{ a.patient_age_years|num if a.patient_age_years is not none else '—' }}
  · sex {{ a.patient_sex or '—' }}</dd>
<dt>value</dt><dd>{{ a.quantity or '' }} {{ a.value|num if a.value is not none else '—' }} {{ a.unit }}</dd>
<dt>threshold</dt><dd>{{ a.threshold|num if a.threshold is not none else '—' }} {{ a.unit }}
  {% if a.drl_value is not none %}(DRL {{ a.drl_value|num }} {{ a.unit }}){% endif %}</dd>
<dt>source</dt><dd>{{ a.rule_source or '' }}</dd>
</dl>
<h2>Review</h2>
<form method="post" action="/alerts/{{ a.id }}/state" class="review">
  <input type="hidden" name="csrf_token" value="{{ csrf_token }}">
  <select name="state">
  {% for s in states %}<option value="{{ s }}">{{ s|replace('_', ' ') }}</option>{% endfor %}
  </select>
  <input type="text" name="comment" size="50"
    placeholder="comment (required for reportable / not reportable)">
  <button type="submit">Save</button>
</form>
<table class="history">
<thead><tr><th>when</th><th>who</th><th>change</th><th>comment</th></tr></thead>
<tbody>
{% for h in a.history %}<tr>
<td class="nowrap">{{ h.at[:19]|replace('T', ' ') }}</td>
<td>{{ h.actor }}</td>
<td>{% if h.to_state %}{{ (h.from_state or '')|replace('_', ' ') }} → {{ h.to_state|replace('_', ' ') }}
  {% else %}comment{% endif %}</td>
<td>{{ h.comment or '' }}</td>
</tr>{% endfor %}
</tbody></table>
{% endblock %}"""

_RULES = """{% extends "base.html" %}
{% block title %}Alert rules{% endblock %}
{% block main %}
<h1>Alert rules</h1>
{% if message %}<p class="notice {{ kind }}" role="alert">{{ message }}</p>{% endif %}
<table class="rules">
<thead><tr><th>id</th><th>name</th><th>scope</th><th>quantity</th><th>above</th>
  <th>filters</th><th>on</th><th>source</th></tr></thead>
<tbody>
{% for r in rules %}<tr>
<td>{{ r.id }}</td><td>{{ r.name }}</td><td>{{ r.scope }}</td><td>{{ r.quantity or r.kind }}</td>
<td>{% if r.threshold is not none %}{{ r.threshold|num }}
  {% elif r.drl_factor is not none %}{{ r.drl_factor }} × DRL{% else %}see rule{% endif %}</td>
<td>{{ r.filters|tojson if r.filters else '' }}</td>
<td>{{ 'yes' if r.enabled else 'no' }}</td>
<td>{% if not r.verified %}<strong>unverified — check the source</strong> {% endif %}{{ r.source or '' }}</td>
</tr>{% endfor %}
</tbody></table>
<h2>Add a rule</h2>
<form method="post" action="/alerts/rules" class="rule-editor">
  <input type="hidden" name="csrf_token" value="{{ csrf_token }}">
  <label>name <input name="name" required></label>
  <label>scope <select name="scope">{% for s in scopes %}<option>{{ s }}</option>{% endfor %}</select></label>
  <label>quantity <input name="quantity" list="quantities" required></label>
  <datalist id="quantities">{% for q in quantities_all %}<option value="{{ q }}">{% endfor %}</datalist>
  <label>above <input name="above" placeholder="absolute value"></label>
  <label>unit <input name="unit" placeholder="canonical" size="8"></label>
  <label>or × DRL <input name="above_drl" size="5"></label>
  <label>modality <input name="modality" size="5"></label>
  <button type="submit">Add</button>
</form>
<h2>Presets</h2>
<table class="presets"><tbody>
{% for p in presets %}<tr>
<td>{{ p.name }}</td>
<td>{{ p.source }}{% if not p.verified %} · <strong>unverified — check the source</strong>{% endif %}</td>
<td><form method="post" action="/alerts/rules/preset" class="inline">
  <input type="hidden" name="csrf_token" value="{{ csrf_token }}">
  <input type="hidden" name="preset" value="{{ p.id }}">
  <button type="submit">Copy</button></form></td>
</tr>{% endfor %}
</tbody></table>
{% endblock %}"""


def _page(request: Request, source: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """Render an inline template inside the site's layout."""
    from kerma import __version__
    from kerma.web.auth.middleware import principal_of
    from kerma.web.render import nav_for, templates

    principal = principal_of(request.scope)
    ctx: dict[str, Any] = {
        "request": request,
        "user": principal,
        "csrf_token": principal.csrf_token if principal and principal.csrf_token else "",
        "nav": nav_for(request, principal),
        "version": __version__,
    }
    ctx.update(context)
    return HTMLResponse(templates.env.from_string(source).render(ctx), status_code=status_code)


@pages.get("/alerts", response_class=HTMLResponse)
def inbox_page(request: Request, engine: EngineDep, state: str | None = None) -> Response:
    """The inbox: open alerts (or one state), newest first."""
    try:
        states = [parse_state(state).value] if state else [State.NEW, State.ACKNOWLEDGED, State.UNDER_REVIEW]
    except ReviewError as exc:
        raise HTTPException(422, str(exc)) from None
    with engine.connect() as conn:
        items = list_alerts(conn, AlertFilter(states=[str(s) for s in states], limit=200))
        counts = state_counts(conn)
    return _page(request, _INBOX, {"items": items, "counts": counts, "state": state})


@pages.get("/alerts/rules", response_class=HTMLResponse)
def rules_page(
    request: Request, engine: EngineDep, message: str | None = None, kind: str = "info"
) -> Response:
    """Rules with a small editor and the presets."""
    from kerma.alerts.quantities import BY_SCOPE, Scope

    with engine.connect() as conn:
        rules = [r.as_dict() for r in list_rules(conn)]
    return _page(
        request,
        _RULES,
        {
            "rules": rules,
            "presets": [p.as_dict() for p in presets_mod.PRESETS],
            "scopes": [s.value for s in Scope],
            "quantities_all": sorted({q for t in BY_SCOPE.values() for q in t}),
            "message": message,
            "kind": kind,
        },
    )


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: str(v) for k, v in form.items()}


@pages.post("/alerts/rules", response_class=HTMLResponse)
async def rules_page_add(request: Request, engine: EngineDep) -> Response:
    """Add a rule from the form; errors are shown on the page."""
    f = await _form(request)
    data: dict[str, Any] = {
        "name": f.get("name", ""),
        "scope": f.get("scope") or None,
        "quantity": f.get("quantity") or None,
        "threshold": f.get("above") or None,
        "drl_factor": f.get("above_drl") or None,
    }
    if f.get("modality"):
        data["filters"] = {"modalities": [m for m in f["modality"].replace(",", " ").split() if m]}
    try:
        rule = rule_from_dict(data, unit=f.get("unit") or None)
        with _tx(engine) as conn:
            saved = create_rule(conn, rule, _actor(request))
    except RuleError as exc:
        return rules_page(request, engine, message=str(exc), kind="error")
    note = f"rule {saved.rule.id} added" + ("; " + "; ".join(saved.warnings) if saved.warnings else "")
    return rules_page(request, engine, message=note, kind="warn" if saved.warnings else "info")


@pages.post("/alerts/rules/preset", response_class=HTMLResponse)
async def rules_page_preset(request: Request, engine: EngineDep) -> Response:
    """Copy a preset from the page."""
    f = await _form(request)
    try:
        with _tx(engine) as conn:
            saved = presets_mod.copy_preset(conn, f.get("preset", ""), _actor(request))
    except (KeyError, RuleError) as exc:
        return rules_page(request, engine, message=str(exc.args[0] if exc.args else exc), kind="error")
    return rules_page(request, engine, message=f"rule {saved.rule.id} added from preset", kind="info")


@pages.get("/alerts/{alert_id}", response_class=HTMLResponse)
def alert_page(request: Request, alert_id: int, engine: EngineDep, message: str | None = None) -> Response:
    """One alert with its history and the review form."""
    with engine.connect() as conn:
        a = get_alert(conn, alert_id)
    if a is None:
        raise HTTPException(404, f"There is no alert {alert_id}.")
    return _page(
        request, _DETAIL, {"a": a, "states": [s.value for s in State if s != State.NEW], "message": message}
    )


@pages.post("/alerts/{alert_id}/state", response_class=HTMLResponse)
async def alert_page_state(request: Request, alert_id: int, engine: EngineDep) -> Response:
    """A review step from the page."""
    f = await _form(request)
    try:
        with _tx(engine) as conn:
            change_state(conn, alert_id, f.get("state", ""), _actor(request), f.get("comment"))
    except LookupError:
        raise HTTPException(404, f"There is no alert {alert_id}.") from None
    except ReviewError as exc:
        return alert_page(request, alert_id, engine, message=str(exc))
    return RedirectResponse(f"/alerts/{alert_id}", status_code=303)
