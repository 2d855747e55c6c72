"""What a notification says: one alert, a digest of several, or the scheduled summary; as text for
people and as a JSON document for systems. Patients appear only by their pseudonym.
"""

from __future__ import annotations

from datetime import date, datetime
from html import escape
from typing import Any

from kerma.alerts.channels.base import Message

_ALERT_FIELDS = (
    "id",
    "rule_id",
    "rule",
    "kind",
    "severity",
    "state",
    "scope",
    "quantity",
    "unit",
    "value",
    "threshold",
    "drl_value",
    "drl_factor",
    "reason",
    "study_instance_uid",
    "accession_number",
    "irradiation_event_uid",
    "event_datetime",
    "modality",
    "room",
    "device_id",
    "exam_code",
    "exam_name",
    "patient_key",
    "patient_age_years",
    "patient_sex",
    "detected_at",
    "rule_source",
)


def _iso(v: Any) -> Any:
    if isinstance(v, datetime | date):
        return v.isoformat()
    return v


def _num(v: float | None) -> str:
    return "—" if v is None else f"{v:.4g}"


def alert_url(base_url: str | None, alert_id: int) -> str | None:
    """Link to the alert in the web app, when the site's address is configured."""
    return f"{base_url.rstrip('/')}/alerts/{alert_id}" if base_url else None


def alert_data(a: dict[str, Any], base_url: str | None) -> dict[str, Any]:
    """The JSON document of one alert."""
    data = {k: _iso(a.get(k)) for k in _ALERT_FIELDS}
    data["patient_pseudonym"] = data.pop("patient_key")
    data["url"] = alert_url(base_url, int(a["id"]))
    return data


def _when(a: dict[str, Any]) -> str:
    when = a.get("event_datetime") or a.get("study_datetime")
    return when.strftime("%Y-%m-%d %H:%M") if isinstance(when, datetime) else "date unknown"


def _alert_lines(a: dict[str, Any], base_url: str | None) -> list[str]:
    exam = (
        " ".join(x for x in (a.get("exam_code"), a.get("exam_name")) if x)
        or a.get("study_description")
        or "—"
    )
    lines = [
        f"Rule:      {a.get('rule')} ({a.get('severity')})",
        f"Why:       {a.get('reason')}",
        f"Exam:      {_when(a)}, {a.get('modality') or '—'}, room {a.get('room') or '—'}, {exam}",
        f"Value:     {a.get('quantity')} {_num(a.get('value'))} {a.get('unit') or ''}".rstrip(),
        f"Threshold: {_num(a.get('threshold'))} {a.get('unit') or ''}".rstrip(),
    ]
    if a.get("drl_value") is not None:
        lines.append(f"DRL:       {_num(a.get('drl_value'))} {a.get('unit') or ''}".rstrip())
    lines += [
        f"Accession: {a.get('accession_number') or '—'}",
        f"Study UID: {a.get('study_instance_uid') or '—'}",
        f"Patient:   {a.get('patient_key') or '—'} (pseudonym), "
        f"age {_num(a.get('patient_age_years'))}, sex {a.get('patient_sex') or '—'}",
    ]
    if a.get("rule_source"):
        lines.append(f"Source:    {a['rule_source']}")
    url = alert_url(base_url, int(a["id"]))
    if url:
        lines.append(f"Review:    {url}")
    return lines


def render_alert(a: dict[str, Any], base_url: str | None = None) -> Message:
    """One alert."""
    severity = str(a.get("severity") or "").upper()
    subject = f"[Kerma] {severity}: {a.get('rule')} — {a.get('room') or '?'}, {_when(a)}"
    text = "\n".join(["A dose alert needs review.", "", *_alert_lines(a, base_url), ""])
    html = "<pre>" + escape(text) + "</pre>"
    return Message(subject, text, {"type": "alert", "alert": alert_data(a, base_url)}, html)


def render_digest(items: list[dict[str, Any]], base_url: str | None = None) -> Message:
    """Several alerts in one message."""
    n = len(items)
    subject = f"[Kerma] {n} dose alert{'s' if n != 1 else ''} to review"
    parts = [f"{n} dose alert{'s' if n != 1 else ''} since the last digest.", ""]
    for a in items:
        parts += [f"#{a['id']}", *_alert_lines(a, base_url), ""]
    text = "\n".join(parts)
    data = {"type": "digest", "alerts": [alert_data(a, base_url) for a in items]}
    return Message(subject, text, data, "<pre>" + escape(text) + "</pre>")


def render_report(content: dict[str, Any]) -> Message:
    """The scheduled summary."""
    start, end = content["period_start"][:10], content["period_end"][:10]
    lines = [f"Kerma summary {start} to {end}", ""]
    lines.append(f"Exams: {content['exams']['total']}")
    for m, n in sorted(content["exams"]["by_modality"].items()):
        lines.append(f"  {m}: {n}")
    al = content["alerts"]
    lines += ["", f"Alerts raised: {al['raised']}  (still open overall: {al['open']})"]
    for r in al["by_rule"]:
        lines.append(f"  {r['rule']}: {r['count']}")
    lines += ["", f"Rooms above the DRL (median of the period): {len(content['rooms_above_drl'])}"]
    for r in content["rooms_above_drl"]:
        lines.append(
            f"  {r['room']} {r['exam_code']} {r['quantity']}: median {_num(r['median'])} "
            f"> DRL {_num(r['drl'])} ({r['studies']} exams)"
        )
    un = content["unmapped"]
    lines += ["", f"Exams without an exam code: {un['studies']} ({len(un['names'])} distinct names)"]
    for u in un["names"]:
        lines.append(f"  {u['modality'] or '—'} {u['name'] or '(no description)'}: {u['count']}")
    failed = content.get("failed_notifications", 0)
    if failed:
        lines += ["", f"Notifications that could not be delivered: {failed} (see `kerma alerts outbox`)"]
    text = "\n".join(lines) + "\n"
    return Message(f"[Kerma] Summary {start} to {end}", text, {"type": "report", "report": content}, None)
