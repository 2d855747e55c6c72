"""`kerma ...`: the command line. Verbs are named for the user's jobs; each has complete --help.

Exit codes: 0 success, 1 when some inputs were rejected, 2 on bad usage.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kerma.cli_options import DbOption, parse_date
from kerma.config import load_settings
from kerma.plugins import CLI_MODULES, EXPORT_COLUMN_MODULES, load, optional

if TYPE_CHECKING:
    from kerma.ingest.pipeline import PostStoreHook

app = typer.Typer(
    name="kerma",
    help="Kerma: radiation dose management and diagnostic reference levels.",
    no_args_is_help=True,
    add_completion=False,
    # Locals in tracebacks could show patient data: never print them.
    pretty_exceptions_show_locals=False,
)
devices_app = typer.Typer(help="Rooms (devices): list and merge.", no_args_is_help=True)
patients_app = typer.Typer(
    help="Patient characteristics: corrections with an audit trail.", no_args_is_help=True
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(devices_app, name="devices")
app.add_typer(patients_app, name="patients")
app.add_typer(db_app, name="db")

err = Console(stderr=True)


def _progress(total: int | None, label: str) -> Progress:
    return Progress(
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
        disable=not err.is_terminal,
    )


@app.command("import")
def import_cmd(
    paths: Annotated[list[Path], typer.Argument(help="DICOM files or folders (read recursively).")],
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object with the counts.")] = False,
    quarantine: Annotated[
        Path | None, typer.Option("--quarantine", help="Folder for rejected files (default ./quarantine).")
    ] = None,
) -> None:
    """Import RDSRs and image headers into the store; every file gets one outcome."""
    from kerma.ingest.pipeline import Ingestor, iter_files
    from kerma.store import open_store

    settings = load_settings()
    if quarantine is not None:
        settings.quarantine_dir = quarantine
    engine = open_store(db or settings.database_url)
    ingestor = Ingestor(engine, settings, hooks=_ingest_hooks())
    total = sum(1 for _ in iter_files(paths))
    with _progress(total, "importing") as bar:
        task = bar.add_task("import", total=total)
        report = ingestor.import_paths(paths, progress=lambda n: bar.advance(task, n))
    data = report.as_dict()
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
    else:
        t = Table(title="import")
        for key in ("files", "stored", "duplicates", "not_dose_relevant", "studies", "events"):
            t.add_row(key, str(data[key]))
        t.add_row("rejected", str(len(report.rejected)))
        Console().print(t)
        for r in report.rejected:
            err.print(f"[red]rejected[/red] {r['file']}: {r['reason']}")
    raise typer.Exit(1 if report.rejected else 0)


def _ingest_hooks() -> list[PostStoreHook]:
    from kerma.ingest.hooks import default_hooks

    return default_hooks()


@app.command("export")
def export_cmd(
    fmt: Annotated[str, typer.Option("--format", help="csv, xlsx or json.")] = "csv",
    level: Annotated[str, typer.Option("--level", help="study or event.")] = "study",
    out: Annotated[Path | None, typer.Option("--out", help="Output file (stdout for csv/json).")] = None,
    modality: Annotated[list[str] | None, typer.Option("--modality", help="Only these modalities.")] = None,
    date_from: Annotated[
        str | None, typer.Option("--from", help="From date (YYYY-MM-DD), inclusive.")
    ] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="To date (YYYY-MM-DD), exclusive.")] = None,
    include_phantoms: Annotated[bool, typer.Option(help="Include phantom/QA studies.")] = False,
    registry: Annotated[
        bool,
        typer.Option(
            "--registry", help="Write this site's data in the DRL registry's format (pseudonymised)."
        ),
    ] = False,
    year: Annotated[int | None, typer.Option("--year", help="With --registry: the survey year.")] = None,
    facility: Annotated[
        str | None,
        typer.Option("--facility", help="With --registry: the ID the authority knows the site by."),
    ] = None,
    all_sources: Annotated[
        bool,
        typer.Option(
            "--all-sources", help="Event level: also events outranked or superseded (column counted)."
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Export studies or events (pseudonymised) as CSV, XLSX or JSON; --registry writes the survey format."""
    from kerma.reports.tabular import FORMATS, write_rows
    from kerma.store import open_store
    from kerma.store.queries import RowFilter, event_query, stream, study_query

    if fmt not in FORMATS:
        raise typer.BadParameter(f"use one of {', '.join(FORMATS)}", param_hint="--format")
    if level not in ("study", "event"):
        raise typer.BadParameter("use study or event", param_hint="--level")
    if fmt == "xlsx" and out is None:
        raise typer.BadParameter("xlsx needs --out FILE", param_hint="--out")
    settings = load_settings()
    engine = open_store(db or settings.database_url)
    if registry:
        submit = optional("kerma.registry.submit")
        if submit is None:
            raise typer.BadParameter("the registry capability is not installed", param_hint="--registry")
        if year is None:
            raise typer.BadParameter("--registry needs --year", param_hint="--year")
        n = submit.write_site_submission(engine, out, year, fmt, facility=facility)
        if out is not None:
            err.print(f"{n} registry rows written to {out}")
        return
    f = RowFilter(
        modality=modality or (),
        date_from=parse_date(date_from, "--from"),
        date_to=parse_date(date_to, "--to"),
        include_phantoms=include_phantoms,
        include_uncounted=all_sources,
    )
    if level == "study":
        columns, stmt = study_query(f, _study_extra_columns())
    else:
        columns, stmt = event_query(f)
    n = write_rows(fmt, columns, stream(engine, stmt), out, sys.stdout)
    if out is not None:
        err.print(f"{n} rows written to {out}")


def _study_extra_columns() -> list[tuple[str, Any]]:
    """Study-level columns added by installed capabilities (e.g. exam codes)."""
    return [col for mod in load(EXPORT_COLUMN_MODULES) for col in mod.study_columns()]


@app.command("simulate")
def simulate_cmd(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the DICOM files into.")],
    studies: Annotated[int, typer.Option("--studies", min=1, help="Number of studies.")] = 100,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the same bytes.")] = 0,
) -> None:
    """Write realistic synthetic RDSRs and image objects (CT, RF/XA, DX, MG)."""
    from kerma.simulate import simulate

    with _progress(studies, "simulating") as bar:
        task = bar.add_task("simulate", total=studies)
        summary = simulate(out, studies=studies, seed=seed, progress=lambda n: bar.update(task, completed=n))
    err.print(f"wrote {summary.files} files for {studies} studies to {out}")


@app.command("demo")
def demo_cmd(
    db: DbOption = None,
    studies: Annotated[int, typer.Option("--studies", help="Demo studies to generate.")] = 400,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the web app afterwards.")] = True,
    http_port: Annotated[int, typer.Option("--http-port")] = 8000,
) -> None:
    """Create a demo database from generated data and, where the web app is installed, serve it."""
    from kerma.ingest.pipeline import Ingestor
    from kerma.simulate import simulate
    from kerma.store import open_store

    settings = load_settings()
    url = db or settings.database_url or "sqlite:///kerma-demo.db"
    engine = open_store(url)
    with tempfile.TemporaryDirectory(prefix="kerma-demo-") as tmp:
        err.print(f"generating {studies} demo studies ...")
        simulate(Path(tmp), studies=studies, seed=1)
        # The study folders only: the simulator's ground-truth table is not a DICOM object.
        folders = sorted(p for p in Path(tmp).iterdir() if p.is_dir())
        report = Ingestor(engine, settings, hooks=_ingest_hooks()).import_paths(folders)
    err.print(
        f"demo database {url}: {report.studies} studies, {report.events} events, "
        f"{report.duplicates} duplicates, {len(report.rejected)} rejected"
    )
    mapping = optional("kerma.nomenclature.service")
    if mapping is not None:
        # The simulator's local names map to exam codes out of the box: accept confident suggestions.
        applied = mapping.apply_rules(engine, auto=True, actor="demo")
        err.print(
            f"protocol mapping: {len(applied.accepted)} local names accepted as rules, "
            f"{applied.mapped} studies mapped"
        )
    if serve:
        serve_mod = optional("kerma.web.serve")
        users = optional("kerma.web.auth.users")
        if users is not None:
            password = users.ensure_demo_user(engine)
            if password:
                err.print(
                    f"log in at http://127.0.0.1:{http_port}/ as [bold]demo[/bold] with password {password}"
                )
            else:
                err.print("user demo exists; `kerma user password demo` sets a new password")
        if serve_mod is None:
            err.print("the web app is not part of this version yet; try `kerma export --db " + url + "`")
            return
        # The web app is served even when the DICOM port is taken (the demo needs no modality).
        raise typer.Exit(serve_mod.run_server(url, http_port=http_port, dicom_required=False))


@devices_app.command("list")
def devices_list(db: DbOption = None, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List rooms with their identifying attributes and study counts."""
    from kerma.store import open_store
    from kerma.store.devices import list_devices

    rows = list_devices(open_store(db or load_settings().database_url))
    if as_json:
        typer.echo(json.dumps(rows, default=str, ensure_ascii=False))
        return
    cols = ("id", "display_name", "manufacturer", "model", "station_name", "serial_number", "studies")
    t = Table(title="devices")
    for col in (*cols, "merged_into_id"):
        t.add_column(col)
    for r in rows:
        t.add_row(*["" if r.get(c) is None else str(r.get(c)) for c in (*cols, "merged_into_id")])
    Console().print(t)


@devices_app.command("merge")
def devices_merge(
    keep: Annotated[int, typer.Argument(help="Device id that stays.")],
    other: Annotated[int, typer.Argument(help="Device id merged into KEEP.")],
    db: DbOption = None,
) -> None:
    """Merge two devices that turn out to be one room; their studies move to KEEP (audited)."""
    from kerma.store import open_store
    from kerma.store.devices import merge_devices

    try:
        n = merge_devices(open_store(db or load_settings().database_url), keep, other, actor="cli")
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    err.print(f"merged device {other} into {keep}: {n} studies moved")


@patients_app.command("correct")
def patients_correct(
    csv_file: Annotated[Path, typer.Argument(help="CSV keyed by accession_number or study_instance_uid.")],
    db: DbOption = None,
) -> None:
    """Correct patient height/weight from a CSV; the old values are kept in an audit trail.

    Columns: accession_number or study_instance_uid, and patient_weight_kg and/or patient_height_m.
    """
    from kerma.store import open_store
    from kerma.store.corrections import apply_corrections

    try:
        result = apply_corrections(open_store(db or load_settings().database_url), csv_file, actor="cli")
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    typer.echo(json.dumps(result))
    raise typer.Exit(1 if result["unmatched"] else 0)


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Create or migrate the database schema to the current version."""
    from kerma.store import open_store

    open_store(db or load_settings().database_url)
    err.print("database is up to date")


@db_app.command("rebuild-stats")
def db_rebuild_stats(db: DbOption = None) -> None:
    """Rebuild the statistics table from the studies (after loading data into the database by SQL)."""
    from kerma.analytics.values import rebuild
    from kerma.store import open_store

    engine = open_store(db or load_settings().database_url)
    with engine.begin() as conn:
        rows = rebuild(conn)
    err.print(f"statistics table rebuilt: {rows} values")


def _register_plugins() -> None:
    for mod in load(CLI_MODULES):
        mod.register(app)


_register_plugins()


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
