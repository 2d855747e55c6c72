"""`kerma alerts ...`: trigger rules and presets, evaluation over history, the alert list and its review,
recipients, the outbox and the scheduled summary.

Exit codes: 0 success, 1 when some of the work failed (a notification not delivered), 2 on bad usage
(a negative or non-numeric threshold, an unknown quantity, an unknown rule or state...).
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Connection

from kerma.cli_options import DbOption, parse_date
from kerma.cli_options import open_engine as _engine
from kerma.config import load_settings

alerts_app = typer.Typer(
    help="Trigger rules, alerts and their review, notifications and scheduled summaries.",
    no_args_is_help=True,
)
rules_app = typer.Typer(
    help="Trigger rules: add, edit, list, presets, import and export.", no_args_is_help=True
)
recipients_app = typer.Typer(help="Who is notified, on which channel, about what.", no_args_is_help=True)
outbox_app = typer.Typer(help="Notifications waiting, sent and failed; retry by hand.", no_args_is_help=True)
alerts_app.add_typer(rules_app, name="rules")
alerts_app.add_typer(recipients_app, name="recipients")
alerts_app.add_typer(outbox_app, name="outbox")

err = Console(stderr=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ByOption = Annotated[str | None, typer.Option("--by", help="Who is acting (default: cli:<login name>).")]


def register(app: typer.Typer) -> None:
    """Add `kerma alerts` to the root command."""
    app.add_typer(alerts_app, name="alerts")


# -- helpers ---------------------------------------------------------------------------------------


@contextmanager
def _tx(db: str | None) -> Iterator[Connection]:
    engine = _engine(db)
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


def _actor(by: str | None) -> str:
    if by:
        return by
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:
        return "cli"


def _bad(message: str) -> NoReturn:
    err.print(f"[red]error:[/red] {message}", markup=True, highlight=False)
    raise typer.Exit(2)


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, default=str, indent=None))


def _params(items: list[str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            _bad(f"--param: {item!r} is not KEY=VALUE")
        try:
            value: Any = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        out[key.strip()] = value
    return out


def _print_warnings(warnings: list[str]) -> None:
    for w in warnings:
        err.print(f"[yellow]warning:[/yellow] {w}", highlight=False)


# -- rules -----------------------------------------------------------------------------------------


@rules_app.command("add")
def rules_add(
    name: Annotated[str, typer.Option("--name", help="A unique name.")],
    quantity: Annotated[
        str | None,
        typer.Option(
            "--quantity", help="The dose field, e.g. ctdivol_mgy, total_dlp_mgy_cm, total_dap_gy_cm2."
        ),
    ] = None,
    scope: Annotated[str | None, typer.Option("--scope", help="event, study, patient or device.")] = None,
    above: Annotated[str | None, typer.Option("--above", help="Absolute threshold (see --unit).")] = None,
    above_drl: Annotated[
        str | None, typer.Option("--above-drl", help="Threshold as a multiple of the active DRL.")
    ] = None,
    unit: Annotated[
        str | None,
        typer.Option("--unit", help="Unit of --above, e.g. Gy, cGy.cm2, min (default: canonical)."),
    ] = None,
    kind: Annotated[
        str, typer.Option("--kind", help="threshold, dose_check, de_single_person or de_group.")
    ] = "threshold",
    modality: Annotated[list[str] | None, typer.Option("--modality", help="Only these modalities.")] = None,
    room: Annotated[list[str] | None, typer.Option("--room", help="Only these rooms (id or name).")] = None,
    exam_code: Annotated[
        list[str] | None, typer.Option("--exam-code", help="Only these exam codes ('10*' for a prefix).")
    ] = None,
    age_min: Annotated[float | None, typer.Option("--age-min", help="Age band: from (years).")] = None,
    age_max: Annotated[float | None, typer.Option("--age-max", help="Age band: below (years).")] = None,
    window_days: Annotated[
        int | None, typer.Option("--window-days", help="Patient scope: rolling window in days (365).")
    ] = None,
    param: Annotated[list[str] | None, typer.Option("--param", help="KEY=VALUE rule parameter.")] = None,
    severity: Annotated[str, typer.Option("--severity", help="info, warning or critical.")] = "warning",
    notify_role: Annotated[
        list[str] | None, typer.Option("--notify-role", help="Only recipients with these roles.")
    ] = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    disabled: Annotated[bool, typer.Option("--disabled", help="Store the rule switched off.")] = False,
    db: DbOption = None,
    by: ByOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a trigger rule, e.g. `--name "CT DLP" --scope study --quantity total_dlp_mgy_cm --above 1500`."""
    from kerma.alerts.rules import RuleError, rule_from_dict
    from kerma.alerts.rulestore import create_rule

    if above is not None and above_drl is not None:
        _bad("give --above or --above-drl, not both")
    params = _params(param)
    if window_days is not None:
        params["window_days"] = window_days
    filters: dict[str, Any] = {
        "modalities": modality or [],
        "rooms": room or [],
        "exam_codes": exam_code or [],
        "age_min": age_min,
        "age_max": age_max,
    }
    data: dict[str, Any] = {
        "name": name,
        "kind": kind,
        "scope": scope,
        "quantity": quantity,
        "threshold": above,
        "drl_factor": above_drl,
        "filters": {k: v for k, v in filters.items() if v not in (None, [])},
        "params": params,
        "severity": severity,
        "notify_roles": notify_role or [],
        "description": description,
        "enabled": not disabled,
    }
    try:
        rule = rule_from_dict(data, unit=unit)
    except RuleError as exc:
        _bad(_cli_words(str(exc)))
    with _tx(db) as conn:
        try:
            saved = create_rule(conn, rule, _actor(by))
        except RuleError as exc:
            _bad(_cli_words(str(exc)))
    _print_warnings(saved.warnings)
    if as_json:
        _echo_json({**saved.rule.as_dict(), "warnings": saved.warnings})
    else:
        err.print(f"rule {saved.rule.id} added: {saved.rule.name}", highlight=False)


def _cli_words(message: str) -> str:
    """Name the command-line options where the message names rule fields."""
    for field, option in (
        ("threshold:", "--above:"),
        ("drl_factor:", "--above-drl:"),
        ("quantity:", "--quantity:"),
        ("scope:", "--scope:"),
        ("unit:", "--unit:"),
        ("name:", "--name:"),
    ):
        if message.startswith(field):
            return option + message[len(field) :]
    return message


def _rule_table(rules: list[Any]) -> Table:
    from kerma.alerts.quantities import unit_of

    t = Table(title="alert rules")
    for col in ("id", "name", "kind", "scope", "quantity", "above", "filters", "on", "source"):
        t.add_column(col)
    for r in rules:
        above = (
            f"{r.threshold:g} {unit_of(r.quantity)}"
            if r.threshold is not None
            else f"{r.drl_factor:g} × DRL"
            if r.drl_factor is not None
            else "params"
        )
        t.add_row(
            str(r.id),
            r.name,
            r.kind.value,
            r.scope.value,
            r.quantity or "",
            above,
            json.dumps(r.filters.as_dict(), ensure_ascii=False) if r.filters.as_dict() else "",
            "yes" if r.enabled else "no",
            ("" if r.verified else "UNVERIFIED ") + (r.source or ""),
        )
    return t


@rules_app.command("list")
def rules_list(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List the trigger rules."""
    from kerma.alerts.rulestore import list_rules

    with _tx(db) as conn:
        rules = list_rules(conn)
    if as_json:
        _echo_json([r.as_dict() for r in rules])
    else:
        Console().print(_rule_table(rules))


@rules_app.command("show")
def rules_show(rule: Annotated[str, typer.Argument(help="Rule id or name.")], db: DbOption = None) -> None:
    """Print one rule as JSON."""
    from kerma.alerts.rulestore import get_rule

    with _tx(db) as conn:
        found = get_rule(conn, rule)
    if found is None:
        _bad(f"no rule {rule}")
    _echo_json(found.as_dict())


@rules_app.command("edit")
def rules_edit(
    rule: Annotated[str, typer.Argument(help="Rule id or name.")],
    name: Annotated[str | None, typer.Option("--name")] = None,
    above: Annotated[str | None, typer.Option("--above", help="New absolute threshold.")] = None,
    above_drl: Annotated[str | None, typer.Option("--above-drl", help="New multiple of the DRL.")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="Unit of --above.")] = None,
    modality: Annotated[
        list[str] | None, typer.Option("--modality", help="Replace the modality filter.")
    ] = None,
    param: Annotated[list[str] | None, typer.Option("--param", help="KEY=VALUE rule parameter.")] = None,
    severity: Annotated[str | None, typer.Option("--severity")] = None,
    enable: Annotated[
        bool | None, typer.Option("--enable/--disable", help="Switch the rule on or off.")
    ] = None,
    db: DbOption = None,
    by: ByOption = None,
) -> None:
    """Change a rule (the whole rule is checked again)."""
    from kerma.alerts.rules import RuleError
    from kerma.alerts.rulestore import update_rule

    if above is not None and above_drl is not None:
        _bad("give --above or --above-drl, not both")
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = name
    if above is not None:
        changes["threshold"] = above
    if above_drl is not None:
        changes["drl_factor"] = above_drl
    if modality is not None:
        changes["filters"] = {"modalities": modality}
    if param:
        changes["params"] = _params(param)
    if severity is not None:
        changes["severity"] = severity
    if enable is not None:
        changes["enabled"] = enable
    if not changes:
        _bad("nothing to change")
    with _tx(db) as conn:
        try:
            saved = update_rule(conn, rule, changes, _actor(by), unit=unit)
        except LookupError as exc:
            _bad(str(exc))
        except RuleError as exc:
            _bad(_cli_words(str(exc)))
    _print_warnings(saved.warnings)
    err.print(f"rule {saved.rule.id} changed", highlight=False)


@rules_app.command("delete")
def rules_delete(
    rule: Annotated[str, typer.Argument(help="Rule id or name.")], db: DbOption = None, by: ByOption = None
) -> None:
    """Delete a rule (one that raised alerts is disabled instead, so its alerts keep their rule)."""
    from kerma.alerts.rulestore import delete_rule

    with _tx(db) as conn:
        try:
            outcome = delete_rule(conn, rule, _actor(by))
        except LookupError as exc:
            _bad(str(exc))
    err.print(f"rule {rule} {outcome}", highlight=False)


@rules_app.command("presets")
def rules_presets(as_json: JsonOption = False) -> None:
    """List the preset rules and their sources (copy one with `kerma alerts rules add-preset ID`)."""
    from kerma.alerts.presets import PRESETS, UNVERIFIED

    if as_json:
        _echo_json([p.as_dict() for p in PRESETS])
        return
    t = Table(title="preset rules")
    for col in ("id", "name", "status", "source"):
        t.add_column(col)
    for p in PRESETS:
        t.add_row(p.id, p.title, "verified" if p.verified else UNVERIFIED, p.source)
    Console().print(t)


@rules_app.command("add-preset")
def rules_add_preset(
    preset: Annotated[
        list[str] | None, typer.Argument(help="Preset ids (see `kerma alerts rules presets`).")
    ] = None,
    all_presets: Annotated[bool, typer.Option("--all", help="Copy every preset.")] = False,
    name: Annotated[str | None, typer.Option("--name", help="Name of the copy (one preset only).")] = None,
    db: DbOption = None,
    by: ByOption = None,
) -> None:
    """Copy presets into the rules, as ordinary editable rules."""
    from kerma.alerts.presets import PRESETS, copy_preset
    from kerma.alerts.rules import RuleError

    ids = [p.id for p in PRESETS] if all_presets else list(preset or [])
    if not ids:
        _bad("name a preset or give --all")
    if name and len(ids) != 1:
        _bad("--name needs exactly one preset")
    with _tx(db) as conn:
        for pid in ids:
            try:
                saved = copy_preset(conn, pid, _actor(by), name=name)
            except KeyError as exc:
                _bad(str(exc.args[0]))
            except RuleError as exc:
                _bad(f"{pid}: {exc}")
            _print_warnings(saved.warnings)
            flag = "" if saved.rule.verified else " (unverified — check the source)"
            err.print(f"rule {saved.rule.id} added from preset {pid}{flag}", highlight=False)


@rules_app.command("export")
def rules_export(
    out: Annotated[Path | None, typer.Option("--out", help="File (default: stdout).")] = None,
    db: DbOption = None,
) -> None:
    """Write all rules as a JSON array (rules are data: review, version and import them)."""
    from kerma.alerts.rulestore import list_rules

    with _tx(db) as conn:
        data = [r.as_dict() for r in list_rules(conn)]
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")


@rules_app.command("import")
def rules_import(
    file: Annotated[Path, typer.Argument(help="JSON array of rules (as `rules export` writes).")],
    replace: Annotated[bool, typer.Option("--replace", help="Update rules whose name exists.")] = False,
    db: DbOption = None,
    by: ByOption = None,
) -> None:
    """Add rules from a JSON file; all are checked before any is stored."""
    from kerma.alerts.rules import RuleError, rule_from_dict
    from kerma.alerts.rulestore import create_rule, get_rule, update_rule

    try:
        items = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        _bad(f"{file}: {exc}")
    if not isinstance(items, list):
        _bad(f"{file}: expected a JSON array of rules")
    rules = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            _bad(f"{file}: item {i} is not an object")
        item = {k: v for k, v in item.items() if k != "id"}
        try:
            rules.append(rule_from_dict(item))
        except RuleError as exc:
            _bad(f"{file}: item {i} ({item.get('name')}): {exc}")
    actor = _actor(by)
    with _tx(db) as conn:
        for rule in rules:
            try:
                existing = get_rule(conn, rule.name)
                if existing is not None and replace:
                    data = rule.as_dict()
                    data.pop("id")
                    saved = update_rule(conn, rule.name, data, actor)
                else:
                    saved = create_rule(conn, rule, actor)
            except RuleError as exc:
                _bad(f"{rule.name}: {exc}")
            _print_warnings(saved.warnings)
    err.print(f"{len(rules)} rules imported", highlight=False)


@rules_app.command("not-applicable")
def rules_not_applicable(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Exam codes for which a rule had no DRL (or no exam code) to compare with."""
    from kerma.alerts.rulestore import not_applicable

    with _tx(db) as conn:
        rows = not_applicable(conn)
    if as_json:
        _echo_json(rows)
        return
    t = Table(title="rules not applicable")
    for col in ("rule", "exam_code", "reason", "first_seen_at"):
        t.add_column(col)
    for r in rows:
        t.add_row(r["rule"], r["exam_code"] or "(none)", r["reason"], str(r["first_seen_at"]))
    Console().print(t)


# -- evaluation and the alert list -------------------------------------------------------------------


@alerts_app.command("evaluate")
def evaluate_cmd(
    date_from: Annotated[
        str | None, typer.Option("--from", help="From date (YYYY-MM-DD), inclusive.")
    ] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="To date (YYYY-MM-DD), exclusive.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Evaluate the enabled rules over stored studies (all history by default); never duplicates alerts."""
    from kerma.alerts.history import evaluate_range, study_ids

    start, end = parse_date(date_from, "--from"), parse_date(date_to, "--to")
    engine = _engine(db)
    try:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        total = len(study_ids(engine, start, end))
        with Progress(
            TextColumn("[bold]evaluating"),
            BarColumn(),
            MofNCompleteColumn(),
            console=err,
            disable=not err.is_terminal,
        ) as bar:
            task = bar.add_task("evaluate", total=total)
            summary = evaluate_range(engine, start, end, progress=lambda n: bar.advance(task, n))
    finally:
        engine.dispose()
    if as_json:
        _echo_json(summary.as_dict())
    else:
        err.print(
            f"{summary.studies} studies evaluated: {summary.new_alerts} new alerts, "
            f"{summary.not_applicable} rule/exam pairs not applicable",
            highlight=False,
        )


LIST_KEYS = (
    "id",
    "rule",
    "state",
    "severity",
    "scope",
    "study_instance_uid",
    "accession_number",
    "event_datetime",
    "modality",
    "room",
    "exam_code",
    "quantity",
    "unit",
    "value",
    "threshold",
    "drl_value",
    "drl_factor",
    "irradiation_event_uid",
    "patient_key",
    "reason",
    "detected_at",
)


@alerts_app.command("list")
def list_cmd(
    state: Annotated[list[str] | None, typer.Option("--state", help="Only these states.")] = None,
    rule: Annotated[list[str] | None, typer.Option("--rule", help="Only these rules (id or name).")] = None,
    modality: Annotated[list[str] | None, typer.Option("--modality")] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="Exam date from (YYYY-MM-DD).")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Exam date before (YYYY-MM-DD).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1)] = 500,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """List alerts, newest first (`--json`: an array with rule, study_instance_uid, quantity, value,
    threshold, state and more)."""
    from kerma.alerts.queries import AlertFilter, list_alerts
    from kerma.alerts.review import ReviewError, parse_state
    from kerma.alerts.rulestore import get_rule

    try:
        states = [parse_state(s).value for s in state or []]
    except ReviewError as exc:
        _bad(str(exc))
    with _tx(db) as conn:
        rule_ids = []
        for ref in rule or []:
            found = get_rule(conn, ref)
            if found is None or found.id is None:
                _bad(f"no rule {ref}")
            rule_ids.append(found.id)
        rows = list_alerts(
            conn,
            AlertFilter(
                states=states,
                rule_ids=rule_ids,
                modalities=modality or [],
                date_from=parse_date(date_from, "--from"),
                date_to=parse_date(date_to, "--to"),
                limit=limit,
            ),
        )
    if as_json:
        _echo_json([{k: r.get(k) for k in LIST_KEYS} for r in rows])
        return
    t = Table(title=f"alerts ({len(rows)})")
    for col in ("id", "state", "rule", "exam", "room", "value", "threshold"):
        t.add_column(col)
    for r in rows:
        when = r["event_datetime"].strftime("%Y-%m-%d %H:%M") if r["event_datetime"] else ""
        t.add_row(
            str(r["id"]),
            r["state"],
            r["rule"],
            f"{when} {r['modality'] or ''} {r['exam_code'] or ''}".strip(),
            r["room"] or "",
            f"{r['quantity']} {r['value']:.4g} {r['unit']}" if r["value"] is not None else "",
            f"{r['threshold']:.4g}" if r["threshold"] is not None else "",
        )
    Console().print(t)


@alerts_app.command("show")
def show_cmd(alert_id: Annotated[int, typer.Argument(help="Alert id.")], db: DbOption = None) -> None:
    """One alert with its review history, as JSON."""
    from kerma.alerts.queries import get_alert

    with _tx(db) as conn:
        a = get_alert(conn, alert_id)
    if a is None:
        _bad(f"no alert {alert_id}")
    _echo_json(a)


def _change(alert_ids: list[int], to: str, comment: str | None, by: str | None, db: str | None) -> None:
    from kerma.alerts.review import ReviewError, change_state

    actor = _actor(by)
    with _tx(db) as conn:
        for alert_id in alert_ids:
            try:
                before = change_state(conn, alert_id, to, actor, comment)
            except (ReviewError, LookupError) as exc:
                _bad(str(exc.args[0]) if isinstance(exc, LookupError) else str(exc))
            err.print(f"alert {alert_id}: {before.value} -> {to}", highlight=False)


@alerts_app.command("ack")
def ack_cmd(
    alert_ids: Annotated[list[int], typer.Argument(help="Alert ids.")],
    comment: Annotated[str | None, typer.Option("--comment", "-m")] = None,
    db: DbOption = None,
    by: ByOption = None,
) -> None:
    """Acknowledge alerts."""
    _change(alert_ids, "acknowledged", comment, by, db)


@alerts_app.command("state")
def state_cmd(
    alert_id: Annotated[int, typer.Argument(help="Alert id.")],
    state: Annotated[
        str, typer.Argument(help="acknowledged, under_review, reportable, not_reportable, closed.")
    ],
    comment: Annotated[
        str | None, typer.Option("--comment", "-m", help="Why (required for reportable / not reportable).")
    ] = None,
    db: DbOption = None,
    by: ByOption = None,
) -> None:
    """Move an alert through its review."""
    from kerma.alerts.review import ReviewError, parse_state

    try:
        target = parse_state(state)
    except ReviewError as exc:
        _bad(str(exc))
    _change([alert_id], target.value, comment, by, db)


@alerts_app.command("comment")
def comment_cmd(
    alert_id: Annotated[int, typer.Argument(help="Alert id.")],
    text: Annotated[str, typer.Argument(help="The comment.")],
    db: DbOption = None,
    by: ByOption = None,
) -> None:
    """Add a comment to an alert's review."""
    from kerma.alerts.review import ReviewError, add_comment

    with _tx(db) as conn:
        try:
            add_comment(conn, alert_id, _actor(by), text)
        except (ReviewError, LookupError) as exc:
            _bad(str(exc.args[0]) if isinstance(exc, LookupError) else str(exc))


@alerts_app.command("export")
def export_cmd(
    fmt: Annotated[str, typer.Option("--format", help="csv, xlsx or json.")] = "csv",
    out: Annotated[Path | None, typer.Option("--out", help="Output file (stdout for csv/json).")] = None,
    state: Annotated[
        list[str] | None, typer.Option("--state", help="States to export (default: reportable).")
    ] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="Exam date from (YYYY-MM-DD).")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Exam date before (YYYY-MM-DD).")] = None,
    db: DbOption = None,
) -> None:
    """Export events for the authority: date, room, exam, quantity, value, threshold, DRL, patient
    pseudonym, age and sex, the trigger and the reason of the decision."""
    from kerma.alerts.queries import AlertFilter, export_rows
    from kerma.alerts.review import ReviewError, parse_state
    from kerma.reports.tabular import FORMATS, write_rows

    if fmt not in FORMATS:
        _bad(f"--format: use one of {', '.join(FORMATS)}")
    if fmt == "xlsx" and out is None:
        _bad("--format xlsx needs --out FILE")
    try:
        states = [parse_state(s).value for s in state or ["reportable"]]
    except ReviewError as exc:
        _bad(str(exc))
    f = AlertFilter(
        states=states, date_from=parse_date(date_from, "--from"), date_to=parse_date(date_to, "--to")
    )
    with _tx(db) as conn:
        columns, rows = export_rows(conn, f)
    n = write_rows(fmt, columns, rows, out, sys.stdout)
    if out is not None:
        err.print(f"{n} events written to {out}", highlight=False)


# -- delivery --------------------------------------------------------------------------------------


@alerts_app.command("send")
def send_cmd(
    forever: Annotated[bool, typer.Option("--forever", help="Keep sending until interrupted.")] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Deliver due notifications (and due digests and summaries) once, or keep doing so."""
    import threading

    from kerma.alerts.delivery import deliver_due, run_forever

    settings = load_settings()
    engine = _engine(db)
    try:
        if forever:
            stop = threading.Event()
            try:
                run_forever(engine, settings, stop)
            except KeyboardInterrupt:
                stop.set()
            return
        stats = deliver_due(engine, settings)
    finally:
        engine.dispose()
    if as_json:
        _echo_json(stats.as_dict())
    else:
        err.print(
            f"sent {stats.sent}, retrying {stats.retrying}, failed {stats.failed}, "
            f"digests {stats.digests}, summaries {stats.reports}",
            highlight=False,
        )
    raise typer.Exit(1 if stats.failed or stats.retrying else 0)


@outbox_app.command("list")
def outbox_list(
    state: Annotated[
        list[str] | None, typer.Option("--state", help="pending, held, sent, failed or digested.")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Notifications with their state, attempts and last error."""
    from kerma.alerts.delivery import list_outbox

    with _tx(db) as conn:
        rows = list_outbox(conn, state or None)
    if as_json:
        _echo_json(rows)
        return
    t = Table(title="outbox")
    for col in ("id", "kind", "alert", "recipient", "channel", "state", "attempts", "last error"):
        t.add_column(col)
    for r in rows:
        t.add_row(
            str(r["id"]),
            r["kind"],
            str(r["alert_id"] or ""),
            r["recipient"],
            r["channel"],
            r["state"],
            str(r["attempts"]),
            r["last_error"] or "",
        )
    Console().print(t)


@outbox_app.command("retry")
def outbox_retry(
    outbox_id: Annotated[int, typer.Argument(help="Notification id.")],
    db: DbOption = None,
    by: ByOption = None,
) -> None:
    """Send a failed notification again (at the next `kerma alerts send`)."""
    from kerma.alerts.delivery import retry

    with _tx(db) as conn:
        try:
            retry(conn, outbox_id, _actor(by))
        except (LookupError, ValueError) as exc:
            _bad(str(exc.args[0]))


# -- recipients --------------------------------------------------------------------------------------


@recipients_app.command("add")
def recipients_add(
    name: Annotated[str, typer.Option("--name")],
    channel: Annotated[str, typer.Option("--channel", help="email, webhook or inbox.")] = "email",
    address: Annotated[
        str | None, typer.Option("--address", help="E-mail address(es) or webhook URL.")
    ] = None,
    role: Annotated[str, typer.Option("--role", help="e.g. mpe, radiologist, rpo.")] = "mpe",
    room: Annotated[list[str] | None, typer.Option("--room", help="Only alerts of these rooms.")] = None,
    modality: Annotated[list[str] | None, typer.Option("--modality", help="Only these modalities.")] = None,
    min_severity: Annotated[str, typer.Option("--min-severity", help="info, warning or critical.")] = "info",
    digest_minutes: Annotated[
        int, typer.Option("--digest-minutes", help="0: at once; N: one digest at most every N minutes.")
    ] = 0,
    reports: Annotated[bool, typer.Option("--reports", help="Also receives the scheduled summary.")] = False,
    secret: Annotated[
        str | None, typer.Option("--secret", help="Webhook HMAC key (default: generated).")
    ] = None,
    db: DbOption = None,
    by: ByOption = None,
) -> None:
    """Add a recipient."""
    from kerma.alerts.routing import RecipientError, add_recipient

    data = {
        "name": name,
        "channel": channel,
        "address": address,
        "role": role,
        "rooms": room or [],
        "modalities": modality or [],
        "min_severity": min_severity,
        "digest_minutes": digest_minutes,
        "receives_reports": reports,
        "secret": secret,
    }
    with _tx(db) as conn:
        try:
            rec, generated = add_recipient(conn, data, _actor(by))
        except RecipientError as exc:
            _bad(str(exc))
    err.print(f"recipient {rec.id} added: {rec.name}", highlight=False)
    if generated:
        err.print(f"webhook secret (shown once): {generated}", highlight=False)


@recipients_app.command("list")
def recipients_list(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List recipients (webhook secrets are never shown)."""
    from kerma.alerts.routing import list_recipients

    with _tx(db) as conn:
        recs = [r.as_dict() for r in list_recipients(conn)]
    if as_json:
        _echo_json(recs)
        return
    t = Table(title="recipients")
    for col in (
        "id",
        "name",
        "role",
        "channel",
        "address",
        "rooms",
        "modalities",
        "min",
        "digest",
        "reports",
        "on",
    ):
        t.add_column(col)
    for r in recs:
        t.add_row(
            str(r["id"]),
            r["name"],
            r["role"],
            r["channel"],
            r["address"] or "",
            ",".join(r["rooms"]),
            ",".join(r["modalities"]),
            r["min_severity"],
            str(r["digest_minutes"] or ""),
            "yes" if r["receives_reports"] else "",
            "yes" if r["enabled"] else "no",
        )
    Console().print(t)


@recipients_app.command("remove")
def recipients_remove(
    recipient: Annotated[str, typer.Argument(help="Recipient id or name.")],
    db: DbOption = None,
    by: ByOption = None,
) -> None:
    """Remove a recipient (one with notifications on record is disabled instead)."""
    from kerma.alerts.routing import remove_recipient

    with _tx(db) as conn:
        try:
            outcome = remove_recipient(conn, recipient, _actor(by))
        except LookupError as exc:
            _bad(str(exc.args[0]))
    err.print(f"recipient {recipient} {outcome}", highlight=False)


# -- scheduled summary ---------------------------------------------------------------------------------


@alerts_app.command("report")
def report_cmd(
    date_from: Annotated[
        str | None, typer.Option("--from", help="Period start (default: last period).")
    ] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Period end, exclusive.")] = None,
    send: Annotated[bool, typer.Option("--send", help="Queue it for report recipients and deliver.")] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Build the summary (exams, alerts, rooms above the DRL, unmapped names) and print or send it."""
    from kerma.alerts.config import alerts_config
    from kerma.alerts.delivery import deliver_due, schedule_report
    from kerma.alerts.messages import render_report
    from kerma.alerts.summary import build_summary, period_for
    from kerma.store.writer import utcnow

    settings = load_settings()
    cfg = alerts_config(settings)
    start, end = parse_date(date_from, "--from"), parse_date(date_to, "--to")
    if (start is None) != (end is None):
        _bad("give both --from and --to, or neither")
    if start is None or end is None:
        start, end = period_for(utcnow(), cfg.report)
    engine = _engine(db)
    try:
        if send:
            made = schedule_report(engine, cfg, utcnow(), period=(start, end))
            if made is None:
                err.print("a summary for this period was made before; not sent again", highlight=False)
            stats = deliver_due(engine, cfg, reports=False)
            err.print(f"sent {stats.sent}, retrying {stats.retrying}, failed {stats.failed}", highlight=False)
            raise typer.Exit(1 if stats.failed or stats.retrying else 0)
        with engine.connect() as conn:
            content = build_summary(conn, start, end)
    finally:
        engine.dispose()
    if as_json:
        _echo_json(content)
    else:
        typer.echo(render_report(content).text)
