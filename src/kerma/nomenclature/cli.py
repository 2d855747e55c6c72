"""`kerma map ...`: suggest, apply and list exam-code mappings; add and retire rules."""

from __future__ import annotations

from typing import Annotated

import typer

from kerma.cli_options import DbOption, FmtOption, FromOption, ModOption, OutOption, ToOption, parse_date
from kerma.cli_options import open_engine as _engine
from kerma.nomenclature.output import emit
from kerma.nomenclature.suggest import DEFAULT_AUTO_CONFIDENCE

map_app = typer.Typer(help="Map local exam names to standard exam codes.", no_args_is_help=True)


@map_app.command("suggest")
def suggest_cmd(
    db: DbOption = None,
    modality: ModOption = None,
    date_from: FromOption = None,
    date_to: ToOption = None,
    top: Annotated[int, typer.Option("--top", min=1, max=10, help="Candidates per name.")] = 3,
    fmt: FmtOption = "table",
    out: OutOption = None,
) -> None:
    """List unmapped local exam names, most frequent first, with ranked candidate codes and confidences."""
    from kerma.nomenclature.service import unmapped_names

    names = unmapped_names(
        _engine(db), modality or (), parse_date(date_from, "--from"), parse_date(date_to, "--to"), top=top
    )
    rows = [u.as_dict() for u in names]
    emit(rows, ["modality", "field", "name", "studies", "suggestions"], fmt, out, "unmapped names")


@map_app.command("apply")
def apply_cmd(
    db: DbOption = None,
    auto: Annotated[
        bool, typer.Option("--auto", help="Also accept suggestions at or above --min-confidence as rules.")
    ] = False,
    min_confidence: Annotated[
        float, typer.Option("--min-confidence", min=0.0, max=1.0, help="Confidence needed with --auto.")
    ] = DEFAULT_AUTO_CONFIDENCE,
    fmt: FmtOption = "table",
) -> None:
    """Apply the mapping rules to every study (history included); with --auto accept confident suggestions."""
    from kerma.nomenclature.service import apply_rules

    report = apply_rules(_engine(db), auto=auto, min_confidence=min_confidence).as_dict()
    if fmt == "json":
        emit([report], list(report), "json", None, "")
        return
    rows = [{"what": k, "count": v if not isinstance(v, list) else len(v)} for k, v in report.items()]
    emit(rows, ["what", "count"], fmt, None, "map apply")


@map_app.command("list")
def list_cmd(
    db: DbOption = None,
    rules: Annotated[
        bool, typer.Option("--rules", help="List the rules instead of the mapped exams.")
    ] = False,
    fmt: FmtOption = "table",
    out: OutOption = None,
) -> None:
    """Studies per exam code (or, with --rules, the active rules)."""
    from kerma.nomenclature.service import list_rules, mapping_summary

    engine = _engine(db)
    if rules:
        with engine.connect() as conn:
            data = list_rules(conn)
        cols = [
            "id",
            "match",
            "field",
            "pattern",
            "modality",
            "device_id",
            "exam_code",
            "priority",
            "source",
            "confidence",
            "created_version",
        ]
        emit(data, cols, fmt, out, "mapping rules")
        return
    emit(
        mapping_summary(engine),
        ["modality", "exam_code", "exam_name", "mapped_by", "studies"],
        fmt,
        out,
        "mapped",
    )


@map_app.command("add")
def add_cmd(
    pattern: Annotated[str, typer.Argument(help="Local name (or regular expression with --match regex).")],
    exam_code: Annotated[str, typer.Argument(help="Standard exam code, e.g. 1010 or K-XR-CHEST-PA.")],
    db: DbOption = None,
    match: Annotated[str, typer.Option("--match", help="exact, normalised or regex.")] = "normalised",
    field: Annotated[
        str,
        typer.Option(
            "--field",
            help="study_description, requested_procedure, performed_procedure, protocol, body_part or any.",
        ),
    ] = "study_description",
    modality: Annotated[str | None, typer.Option("--modality", help="Only for this modality.")] = None,
    device: Annotated[int | None, typer.Option("--device", help="Only for this device id.")] = None,
    priority: Annotated[int, typer.Option("--priority", help="Lower is tried first.")] = 100,
    apply: Annotated[bool, typer.Option("--apply/--no-apply", help="Re-apply rules to history now.")] = True,
) -> None:
    """Add a mapping rule (a new rules version) and re-apply the rules."""
    from kerma.nomenclature.service import add_rule, apply_rules

    engine = _engine(db)
    try:
        with engine.begin() as conn:
            rule_id = add_rule(
                conn,
                pattern=pattern,
                exam_code=exam_code,
                match=match,
                field_name=field,
                modality=modality,
                device_id=device,
                priority=priority,
            )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    typer.echo(f"rule {rule_id} added")
    if apply:
        r = apply_rules(engine)
        typer.echo(
            f"rules version {r.rules_version}: {r.mapped} mapped, {r.changed} changed, {r.unmapped} unmapped"
        )


@map_app.command("retire")
def retire_cmd(
    rule_id: Annotated[int, typer.Argument(help="Rule id (see `kerma map list --rules`).")],
    db: DbOption = None,
) -> None:
    """Retire a rule (kept for the record) and re-apply the rules."""
    from kerma.nomenclature.service import apply_rules, retire_rule

    engine = _engine(db)
    try:
        with engine.begin() as conn:
            retire_rule(conn, rule_id)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    r = apply_rules(engine)
    typer.echo(f"rule {rule_id} retired; {r.removed} mappings removed, {r.changed} changed")


def register(app: typer.Typer) -> None:
    """Add `kerma map` to the root app."""
    app.add_typer(map_app, name="map")
