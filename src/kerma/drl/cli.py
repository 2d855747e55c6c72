"""`kerma drl ...`: DRL sets (list, show, import, edit, activate), compliance and establishing local DRLs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kerma.analytics.quantities import QUANTITIES, StatsFilter
from kerma.analytics.sqlfuncs import PERIODS
from kerma.cli_options import DbOption, FmtOption, FromOption, ModOption, OutOption, ToOption, parse_date
from kerma.cli_options import open_engine as _engine
from kerma.drl.compliance import COMPLIANCE_KEYS, DEFAULT_MIN_N, DEFAULT_MIN_PER_ROOM, ESTABLISH_KEYS
from kerma.nomenclature.output import emit

drl_app = typer.Typer(
    help="Diagnostic reference levels: sets, compliance, establishing local DRLs.", no_args_is_help=True
)

ExamOption = Annotated[list[str] | None, typer.Option("--exam", help="Only these exam codes.")]
SetOption = Annotated[
    list[str] | None, typer.Option("--set", help="Compare with these sets instead of the active ones.")
]


def _filter(
    modality: list[str] | None, date_from: str | None, date_to: str | None, exam: list[str] | None
) -> StatsFilter:
    return StatsFilter(
        modality=modality or (),
        date_from=parse_date(date_from, "--from"),
        date_to=parse_date(date_to, "--to"),
        exam_codes=exam or (),
    )


def _quantity(q: str | None) -> list[str]:
    if q is None:
        return []
    if q not in QUANTITIES:
        raise typer.BadParameter(f"use one of {', '.join(QUANTITIES)}", param_hint="--quantity")
    return [q]


@drl_app.command("sets")
def sets_cmd(db: DbOption = None, fmt: FmtOption = "table", out: OutOption = None) -> None:
    """List DRL sets (current versions), their status and where they are active."""
    from kerma.drl.sets import list_sets

    with _engine(db).begin() as conn:
        rows = list_sets(conn)
    emit(
        rows,
        ["key", "version", "name", "country", "year", "method", "status", "values", "active_sites"],
        fmt,
        out,
        "DRL sets",
    )


@drl_app.command("show")
def show_cmd(
    key: Annotated[str, typer.Argument(help="Set key (see `kerma drl sets`).")],
    db: DbOption = None,
    version: Annotated[int | None, typer.Option("--version", help="An earlier version.")] = None,
    fmt: FmtOption = "table",
    out: OutOption = None,
) -> None:
    """The values of one set, in canonical units beside the published value and unit."""
    from kerma.drl.sets import ensure_builtin, set_values

    with _engine(db).begin() as conn:
        ensure_builtin(conn)
        try:
            values = set_values(conn, key, version)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
    rows = [
        {
            "modality": v.modality,
            "exam_code": v.exam_code,
            "exam_name": v.exam_name,
            "clinical_indication": v.clinical_indication,
            "band": v.band.label,
            "quantity": v.quantity,
            "per": v.per,
            "value": v.value,
            "published_value": v.published_value,
            "published_unit": v.published_unit,
            "note": v.note,
        }
        for v in values
    ]
    emit(rows, list(rows[0]) if rows else ["exam_code"], fmt, out, f"{key}")


@drl_app.command("import")
def import_cmd(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV or XLSX with columns exam_code, quantity, value, unit "
            "[, modality, exam_name, clinical_indication, band, per, note]."
        ),
    ],
    key: Annotated[str, typer.Option("--key", help="Set key; an existing key gets a new version.")],
    name: Annotated[str | None, typer.Option("--name", help="Set name.")] = None,
    country: Annotated[str | None, typer.Option("--country")] = None,
    year: Annotated[int | None, typer.Option("--year")] = None,
    source: Annotated[str | None, typer.Option("--source", help="Where the values come from.")] = None,
    activate: Annotated[
        str | None, typer.Option("--activate", help="Make it active at this site ('*' for all).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Import a DRL set (units converted to canonical ones; duplicates and unknown codes reported)."""
    from kerma.drl import sets

    if not file.is_file():
        raise typer.BadParameter(f"{file} not found")
    rows = sets.read_table(file)
    with _engine(db).begin() as conn:
        version, parsed = sets.import_set(
            conn, rows, key=key, name=name, country=country, year=year, source=source
        )
        for w in parsed.warnings:
            typer.echo(f"warning: {w}", err=True)
        for e in parsed.errors:
            typer.echo(f"error: {e}", err=True)
        if parsed.errors:
            typer.echo("nothing imported", err=True)
            raise typer.Exit(1)
        if activate:
            sets.activate(conn, key, activate)
    typer.echo(f"{key} version {version}: {len(parsed.values)} values")


@drl_app.command("edit")
def edit_cmd(
    key: Annotated[str, typer.Argument(help="Set key.")],
    exam_code: Annotated[str, typer.Option("--exam", help="Exam code.")],
    quantity: Annotated[
        str, typer.Option("--quantity", help="dlp_mgy_cm, ctdivol_mgy, dap_gy_cm2 or agd_mgy.")
    ],
    value: Annotated[float | None, typer.Option("--value", help="New value (omit with --remove).")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="Unit of --value, e.g. mGy*cm, cGy*cm2.")] = None,
    band: Annotated[
        str, typer.Option("--band", help="Patient band, e.g. adult, '1-<5 y', '5-<15 kg'.")
    ] = "adult",
    indication: Annotated[str, typer.Option("--indication", help="Clinical indication.")] = "",
    per: Annotated[str | None, typer.Option("--per", help="study or exposure.")] = None,
    remove: Annotated[bool, typer.Option("--remove", help="Remove the entry.")] = False,
    db: DbOption = None,
) -> None:
    """Change, add or remove one value; the set gets a new version."""
    from kerma.drl.sets import edit_value

    if remove == (value is not None):
        raise typer.BadParameter("give either --value or --remove")
    try:
        with _engine(db).begin() as conn:
            version = edit_value(
                conn,
                key,
                exam_code=exam_code,
                quantity=quantity,
                value=value,
                unit=unit,
                band=band,
                clinical_indication=indication,
                per=per,
            )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    typer.echo(f"{key} version {version}")


@drl_app.command("activate")
def activate_cmd(
    key: Annotated[str, typer.Argument(help="Set key.")],
    site: Annotated[str, typer.Option("--site", help="Institution name, or '*' for every site.")] = "*",
    off: Annotated[bool, typer.Option("--off", help="Deactivate instead.")] = False,
    db: DbOption = None,
) -> None:
    """Choose the DRL sets in force per site (by default the German sets apply everywhere)."""
    from kerma.drl.sets import activate, deactivate

    try:
        with _engine(db).begin() as conn:
            (deactivate if off else activate)(conn, key, site)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    typer.echo(f"{key} {'no longer ' if off else ''}active at {site}")


@drl_app.command("compliance")
def compliance_cmd(
    db: DbOption = None,
    modality: ModOption = None,
    date_from: FromOption = None,
    date_to: ToOption = None,
    exam: ExamOption = None,
    quantity: Annotated[str | None, typer.Option("--quantity", help="Only this quantity.")] = None,
    period: Annotated[str, typer.Option("--period", help="month, quarter, year or all.")] = "all",
    by_room: Annotated[
        bool, typer.Option("--by-room/--all-rooms", help="One group per room, or all rooms together.")
    ] = True,
    min_n: Annotated[
        int, typer.Option("--min-n", min=1, help="Values a group needs to be valid.")
    ] = DEFAULT_MIN_N,
    drl_set: SetOption = None,
    exceeding: Annotated[
        bool, typer.Option("--exceeding", help="Only valid groups whose median exceeds the DRL.")
    ] = False,
    fmt: FmtOption = "table",
    out: OutOption = None,
) -> None:
    """Statistics per exam code x room x period (x band) with the DRL in force and median / DRL."""
    from kerma.drl.compliance import compliance

    if period not in PERIODS:
        raise typer.BadParameter(f"use one of {', '.join(PERIODS)}", param_hint="--period")
    rows = compliance(
        _engine(db),
        _filter(modality, date_from, date_to, exam),
        period=period,
        quantities=_quantity(quantity),
        by_room=by_room,
        min_n=min_n,
        set_keys=drl_set or (),
    )
    if exceeding:
        rows = [r for r in rows if r["exceeds_drl"]]
    cols = (
        list(COMPLIANCE_KEYS)
        if fmt != "table"
        else [
            "exam_code",
            "station_name",
            "period",
            "band",
            "quantity",
            "per",
            "n",
            "median",
            "q1",
            "q3",
            "qcd",
            "drl",
            "ratio_to_drl",
            "valid",
        ]
    )
    emit(rows, cols, fmt, out, "DRL compliance")


@drl_app.command("establish")
def establish_cmd(
    quantity: Annotated[
        str, typer.Option("--quantity", help="dlp_mgy_cm, ctdivol_mgy, dap_gy_cm2 or agd_mgy.")
    ],
    db: DbOption = None,
    per: Annotated[
        str | None, typer.Option("--per", help="study or exposure (default per quantity).")
    ] = None,
    modality: ModOption = None,
    date_from: FromOption = None,
    date_to: ToOption = None,
    exam: ExamOption = None,
    min_per_room: Annotated[
        int, typer.Option("--min-per-room", min=1, help="Values a room needs to count.")
    ] = DEFAULT_MIN_PER_ROOM,
    drl_set: SetOption = None,
    fmt: FmtOption = "table",
    out: OutOption = None,
) -> None:
    """Local DRLs: 75th percentile of room medians (achievable dose: their median) vs the national DRL."""
    from kerma.drl.compliance import establish

    if per is not None and per not in ("study", "exposure"):
        raise typer.BadParameter("use study or exposure", param_hint="--per")
    q = _quantity(quantity)[0]
    rows = establish(
        _engine(db),
        _filter(modality, date_from, date_to, exam),
        quantity=q,
        per=per,
        min_per_room=min_per_room,
        set_keys=drl_set or (),
    )
    emit(rows, list(ESTABLISH_KEYS), fmt, out, "local DRLs")


def register(app: typer.Typer) -> None:
    """Add `kerma drl` to the root app."""
    app.add_typer(drl_app, name="drl")
