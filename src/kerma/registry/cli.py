"""`kerma registry ...`: survey template, import with repair, export, simulated surveys, analysis, report."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from kerma.cli_options import DbOption
from kerma.cli_options import open_engine as _engine
from kerma.config import load_settings

registry_app = typer.Typer(
    help="DRL registry for authorities: survey template, import and repair, national DRLs, reports.",
    no_args_is_help=True,
)
err = Console(stderr=True)


def _drls(engine: Any) -> dict[Any, Any]:
    from kerma.registry.drlref import current_drls

    with engine.begin() as conn:
        return current_drls(conn)


@registry_app.command("template")
def template_cmd(
    out: Annotated[Path, typer.Option("--out", help="Workbook to write (.xlsx).")],
    db: DbOption = None,
) -> None:
    """Write the facility survey template: survey sheet with validation, exam codes with current DRLs."""
    from kerma.registry.template import write_template

    if out.suffix.lower() != ".xlsx":
        raise typer.BadParameter("the template is an .xlsx workbook", param_hint="--out")
    n = write_template(out, drls=_drls(_engine(db)))
    err.print(f"template with {n} exam codes written to {out}")


@registry_app.command("import")
def import_cmd(
    paths: Annotated[
        list[Path], typer.Argument(help="Survey files or folders (.xlsx .xlsm .xls .ods .csv).")
    ],
    year: Annotated[
        int | None, typer.Option("--year", help="Survey year for files that do not state one.")
    ] = None,
    mean_count: Annotated[
        int,
        typer.Option("--mean-count", min=1, help="Exams a 'mean' row stands for when its count is empty."),
    ] = 10,
    code_map: Annotated[
        Path | None, typer.Option("--code-map", help="CSV old_code,code for codes of earlier templates.")
    ] = None,
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object with the counts.")] = False,
) -> None:
    """Read, repair and store survey files; every repair is logged per cell, nothing is dropped silently."""
    from kerma.cli import _progress
    from kerma.ingest.survey import SurveyOptions
    from kerma.privacy.pseudonym import Pseudonymiser, load_secret
    from kerma.registry.catalogue import Catalogue, load_code_map
    from kerma.registry.importer import import_surveys, survey_files

    for p in paths:
        if not p.exists():
            raise typer.BadParameter(f"{p} does not exist", param_hint="PATHS")
    settings = load_settings()
    engine = _engine(db)
    cat = Catalogue()
    if code_map is not None:
        cat.code_map.update(load_code_map(code_map))
    drls = _drls(engine)

    def fallback(code: str, attr: str) -> float | None:
        ref = drls.get((code, attr))
        return ref.value * 0.7 if ref else None  # a DRL is a 75th percentile: typical doses sit below it

    opts = SurveyOptions(cat, default_year=year, default_mean_count=mean_count)
    total = sum(1 for _ in survey_files(paths))
    pz = Pseudonymiser(load_secret(settings.secret_file))
    with _progress(total, "reading surveys") as bar:
        task = bar.add_task("import", total=total)
        summary = import_surveys(engine, paths, pz, opts, fallback, progress=lambda n: bar.advance(task, n))
    data = summary.as_dict()
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
    else:
        t = Table(title="registry import")
        t.add_row("files", str(data["files"]))
        t.add_row("files skipped (already read)", str(len(data["files_skipped"])))
        t.add_row("files rejected", str(len(data["files_rejected"])))
        for k in ("ok", "repaired", "rejected"):
            t.add_row(f"rows {k}", str(data["rows"].get(k, 0)))
        t.add_row("repairs logged", str(data["repairs"]))
        Console().print(t)
        for r in summary.files_rejected:
            err.print(f"[red]rejected[/red] {r['file']}: {r['reason']}")
        for f in summary.flags:
            err.print(f"[yellow]flag[/yellow] {f}")
    raise typer.Exit(1 if summary.files_rejected or data["rows"].get("rejected") else 0)


@registry_app.command("export")
def export_cmd(
    year: Annotated[int | None, typer.Option("--year", help="Survey year (default: all).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv, xlsx or json.")] = "csv",
    out: Annotated[Path | None, typer.Option("--out", help="Output file (stdout for csv/json).")] = None,
    repairs: Annotated[
        bool, typer.Option("--repairs", help="Export the per-cell repair log instead.")
    ] = False,
    status: Annotated[str | None, typer.Option("--status", help="Only rows with this status.")] = None,
    db: DbOption = None,
) -> None:
    """Export the repaired rows (pseudonymised) or the repair log of a survey year."""
    from kerma.registry.export import repairs_query, rows_query
    from kerma.reports.tabular import FORMATS, write_rows
    from kerma.store.queries import stream

    if fmt not in FORMATS:
        raise typer.BadParameter(f"use one of {', '.join(FORMATS)}", param_hint="--format")
    if fmt == "xlsx" and out is None:
        raise typer.BadParameter("xlsx needs --out FILE", param_hint="--out")
    if status is not None and status not in ("ok", "repaired", "rejected"):
        raise typer.BadParameter("use ok, repaired or rejected", param_hint="--status")
    engine = _engine(db)
    columns, stmt = repairs_query(year) if repairs else rows_query(year, status)
    n = write_rows(fmt, columns, stream(engine, stmt), out, sys.stdout)
    if out is not None:
        err.print(f"{n} rows written to {out}")


@registry_app.command("simulate-surveys")
def simulate_cmd(
    out: Annotated[Path, typer.Option("--out", help="Folder for the survey files and _ground_truth.csv.")],
    facilities: Annotated[int, typer.Option("--facilities", min=1, help="Number of facilities.")] = 25,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed writes the same data.")] = 0,
    years: Annotated[str, typer.Option("--years", help="Survey years, comma-separated.")] = "2023",
    exams: Annotated[int, typer.Option("--exams", min=1, help="Exams per facility.")] = 8,
    records: Annotated[
        int, typer.Option("--records", min=2, help="Records per exam and device (about).")
    ] = 6,
) -> None:
    """Write messy survey files with every kind of damage, and their ground truth."""
    from kerma.registry.simulate import simulate_surveys

    try:
        ys = [int(y) for y in years.split(",") if y.strip()]
    except ValueError:
        raise typer.BadParameter("years like 2022,2023", param_hint="--years") from None
    s = simulate_surveys(out, facilities, seed, ys, exams, records)
    err.print(
        f"wrote {s.files} files with {s.records} records "
        f"({s.expected_rejected} rows to be rejected) to {out}; "
        f"damage kinds: {', '.join(sorted(s.damage))}"
    )


@registry_app.command("analyse")
def analyse_cmd(
    year: Annotated[list[int] | None, typer.Option("--year", help="Survey year(s) (default: all).")] = None,
    factor: Annotated[
        float, typer.Option("--factor", help="Outlier: facility median above this x DRL.")
    ] = 5.0,
    z_limit: Annotated[
        float, typer.Option("--z", help="Outlier: robust z of the log median beyond this.")
    ] = 3.5,
    as_json: Annotated[bool, typer.Option("--json", help="Print the analysis as JSON.")] = False,
    db: DbOption = None,
) -> None:
    """Proposed national DRLs (75th percentile of facility medians), achievable doses, outliers, clusters."""
    from kerma.registry.analysis import analyse
    from kerma.registry.serialise import analysis_dict

    a = analyse(_engine(db), year or None, factor, z_limit)
    if as_json:
        typer.echo(json.dumps(analysis_dict(a), ensure_ascii=False))
        return
    t = Table(title="proposed national DRLs")
    for c in (
        "year",
        "exam",
        "quantity",
        "facilities",
        "achievable",
        "proposed DRL",
        "P75 of means",
        "current DRL",
        "ratio",
    ):
        t.add_column(c)
    for e in a.exams:
        t.add_row(
            str(e.year),
            e.exam_code,
            e.quantity,
            str(e.n_facilities),
            f"{e.achievable:.3g}",
            f"{e.proposed_drl:.3g}",
            f"{e.p75_of_means:.3g}",
            f"{e.current.value:.3g}" if e.current else "",
            f"{e.ratio_to_current:.2f}" if e.ratio_to_current else "",
        )
    Console().print(t)
    err.print(f"{len(a.outliers)} outlier findings (factor {factor:g} x DRL, robust z {z_limit:g})")


@registry_app.command("report")
def report_cmd(
    out: Annotated[Path, typer.Option("--out", help="PDF file to write.")],
    year: Annotated[list[int] | None, typer.Option("--year", help="Survey year(s) (default: all).")] = None,
    pseudonymised: Annotated[
        bool, typer.Option("--pseudonymised", help="Name no facility: pseudonyms only.")
    ] = False,
    factor: Annotated[float, typer.Option("--factor", help="Outlier factor x DRL.")] = 5.0,
    db: DbOption = None,
) -> None:
    """Write the registry report (PDF): summary, proposed DRLs, charts, outliers, clusters, repairs."""
    from kerma.reports.registry_pdf import write_report

    pages = write_report(
        _engine(db), out, years=year or None, pseudonymised=pseudonymised, outlier_factor=factor
    )
    err.print(f"report written to {out} ({pages} pages)")


def register(app: typer.Typer) -> None:
    """Add `kerma registry ...` to the root command."""
    app.add_typer(registry_app, name="registry")
