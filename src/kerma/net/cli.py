"""`kerma serve`, `kerma senders ...` and `kerma pacs ...`: the DICOM node on the command line."""

from __future__ import annotations

import json
import logging
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kerma.cli_options import DbOption
from kerma.cli_options import open_engine as _engine
from kerma.config import load_settings

if TYPE_CHECKING:
    pass

err = Console(stderr=True)

senders_app = typer.Typer(
    help="Known DICOM senders (calling AE titles) and how their rooms are named.", no_args_is_help=True
)
pacs_app = typer.Typer(help="PACS nodes: add, list, echo, pull history.", no_args_is_help=True)


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (use YYYY-MM-DD)", param_hint=name) from None


# -- serve ------------------------------------------------------------------------------------------


def serve(
    db: DbOption = None,
    http_port: Annotated[int, typer.Option("--http-port", help="Port of the web app and API.")] = 8000,
    host: Annotated[str, typer.Option("--host", help="Address the web app listens on.")] = "127.0.0.1",
    dicom_port: Annotated[int, typer.Option("--dicom-port", help="Port of the DICOM listener.")] = 11112,
    dicom_host: Annotated[
        str, typer.Option("--dicom-host", help="Address the DICOM listener binds.")
    ] = "0.0.0.0",
    aet: Annotated[str, typer.Option("--aet", help="Kerma's AE title.")] = "KERMA",
    hl7_port: Annotated[
        int | None,
        typer.Option(
            "--hl7-port",
            help="HL7 v2 (MLLP) port; HL7 is not part of this version yet and only logs a warning.",
        ),
    ] = None,
    known_senders_only: Annotated[
        bool,
        typer.Option(
            "--known-senders-only/--open",
            help="Accept only calling AE titles added with `kerma senders add`.",
        ),
    ] = False,
    tls_cert: Annotated[
        Path | None, typer.Option("--tls-cert", help="TLS certificate (PEM) for DICOM.")
    ] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key", help="TLS private key (PEM).")] = None,
    tls_ca: Annotated[
        Path | None, typer.Option("--tls-ca", help="CA file: senders must present a certificate it signed.")
    ] = None,
    max_associations: Annotated[
        int, typer.Option("--max-associations", min=1, help="Open associations at most.")
    ] = 64,
    pull_nightly: Annotated[
        list[str] | None,
        typer.Option(
            "--pull-nightly", help="NAME[@HH:MM]: pull from this PACS node every night (repeatable)."
        ),
    ] = None,
    dose_screens: Annotated[
        Path | None,
        typer.Option(
            "--dose-screens",
            help="Folder keeping received Secondary Captures for OCR (default dose-screens).",
        ),
    ] = None,
    ingest_workers: Annotated[
        int | None,
        typer.Option(
            "--ingest-workers",
            min=0,
            help="Processes reading and storing received objects (default: one per CPU core; 0: none).",
        ),
    ] = None,
    shutdown_grace: Annotated[
        float,
        typer.Option("--shutdown-grace", min=0, help="Seconds open associations get to finish at shutdown."),
    ] = 10.0,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log every association and object.")
    ] = False,
) -> None:
    """Run the web app and the DICOM listener (storage, MPPS) in one process until SIGTERM/SIGINT."""
    from kerma.net.config import check_ae_title
    from kerma.net.dicom_scp import TlsConfig
    from kerma.net.ingest_pool import default_workers
    from kerma.net.schedule import parse_nightly
    from kerma.web.serve import run_server

    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(asctime)s %(name)s %(message)s"
    )
    logging.getLogger("pynetdicom").setLevel(logging.WARNING if verbose else logging.ERROR)
    try:
        check_ae_title(aet, "--aet")
        nightly = [parse_nightly(s) for s in pull_nightly or []]
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    tls = None
    if tls_cert or tls_key:
        if not (tls_cert and tls_key):
            raise typer.BadParameter("TLS needs both --tls-cert and --tls-key", param_hint="--tls-cert")
        tls = TlsConfig(tls_cert, tls_key, tls_ca)
    code = run_server(
        db,
        http_port=http_port,
        dicom_port=dicom_port,
        aet=aet,
        hl7_port=hl7_port,
        host=host,
        dicom_host=dicom_host,
        restrict_senders=known_senders_only,
        tls=tls,
        max_associations=max_associations,
        nightly=nightly,
        dose_screen_dir=dose_screens,
        grace_s=shutdown_grace,
        ingest_workers=default_workers() if ingest_workers is None else ingest_workers,
    )
    raise typer.Exit(code)


# -- senders ----------------------------------------------------------------------------------------


@senders_app.command("add")
def senders_add(
    ae_title: Annotated[str, typer.Argument(help="Calling AE title of the modality or PACS.")],
    station: Annotated[
        str | None,
        typer.Option("--station", help="Room name for objects from this AE without a station name."),
    ] = None,
    override: Annotated[
        bool, typer.Option("--override", help="Use --station even when the object names a station.")
    ] = False,
    institution: Annotated[
        str | None, typer.Option("--institution", help="Institution when missing.")
    ] = None,
    disabled: Annotated[
        bool, typer.Option("--disabled", help="Known but refused (restricted mode).")
    ] = False,
    comment: Annotated[str | None, typer.Option("--comment")] = None,
    db: DbOption = None,
) -> None:
    """Add (or change) a known sender."""
    from kerma.net.config import Sender, add_sender

    try:
        add_sender(_engine(db), Sender(ae_title, station, override, institution, not disabled, comment))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    err.print(f"sender {ae_title.strip()} saved")


@senders_app.command("list")
def senders_list(db: DbOption = None, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List known senders."""
    from dataclasses import asdict

    from kerma.net.config import list_senders

    rows = [asdict(s) for s in list_senders(_engine(db))]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    cols = ("ae_title", "station_name", "override_station_name", "institution", "enabled", "comment")
    t = Table(*cols, title="known senders")
    for r in rows:
        t.add_row(*["" if r[c] is None else str(r[c]) for c in cols])
    Console().print(t)


@senders_app.command("remove")
def senders_remove(ae_title: Annotated[str, typer.Argument()], db: DbOption = None) -> None:
    """Forget a sender."""
    from kerma.net.config import remove_sender

    if not remove_sender(_engine(db), ae_title):
        err.print(f"[red]no sender {ae_title}[/red]")
        raise typer.Exit(2)
    err.print(f"sender {ae_title} removed")


# -- pacs -------------------------------------------------------------------------------------------


@pacs_app.command("add")
def pacs_add(
    name: Annotated[str, typer.Argument(help="Short name of the node, used by `kerma pacs pull NAME`.")],
    host: Annotated[str, typer.Option("--host", help="Host name or address of the PACS.")],
    port: Annotated[int, typer.Option("--port", help="DICOM port of the PACS.")],
    aet: Annotated[str, typer.Option("--aet", help="AE title of the PACS.")],
    method: Annotated[
        str, typer.Option("--method", help="get (C-GET) or move (C-MOVE to Kerma's listener).")
    ] = "get",
    move_aet: Annotated[
        str | None, typer.Option("--move-aet", help="AE title the PACS knows Kerma's listener by (C-MOVE).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Add (or change) a PACS node."""
    from kerma.net.config import PacsNode, add_pacs_node

    try:
        add_pacs_node(_engine(db), PacsNode(name, host, port, aet, method, move_aet))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    err.print(f"PACS node {name} saved")


@pacs_app.command("list")
def pacs_list(db: DbOption = None, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List PACS nodes."""
    from dataclasses import asdict

    from kerma.net.config import list_pacs_nodes

    rows = [asdict(n) for n in list_pacs_nodes(_engine(db))]
    if as_json:
        typer.echo(json.dumps(rows, default=str, ensure_ascii=False))
        return
    cols = ("name", "host", "port", "ae_title", "retrieve_method", "move_destination", "last_pulled_to")
    t = Table(*cols, title="PACS nodes")
    for r in rows:
        t.add_row(*["" if r[c] is None else str(r[c]) for c in cols])
    Console().print(t)


@pacs_app.command("remove")
def pacs_remove(name: Annotated[str, typer.Argument()], db: DbOption = None) -> None:
    """Forget a PACS node and its pull progress."""
    from kerma.net.config import remove_pacs_node

    if not remove_pacs_node(_engine(db), name):
        err.print(f"[red]no PACS node {name}[/red]")
        raise typer.Exit(2)
    err.print(f"PACS node {name} removed")


@pacs_app.command("echo")
def pacs_echo(
    name: Annotated[str, typer.Argument()],
    aet: Annotated[str, typer.Option("--aet", help="Kerma's AE title.")] = "KERMA",
    db: DbOption = None,
) -> None:
    """Check the association with a PACS node (C-ECHO)."""
    from kerma.net.config import get_pacs_node
    from kerma.net.qr import PacsClient, PacsError

    node = get_pacs_node(_engine(db), name)
    if node is None:
        err.print(f"[red]no PACS node {name}[/red] (kerma pacs add)")
        raise typer.Exit(2)
    try:
        with PacsClient(node, aet, timeout_s=15) as client:
            ok = client.echo()
    except PacsError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    err.print(f"{name}: C-ECHO {'succeeded' if ok else 'failed'}")
    raise typer.Exit(0 if ok else 1)


@pacs_app.command("pull")
def pacs_pull(
    name: Annotated[str, typer.Argument(help="PACS node (kerma pacs add).")],
    date_from: Annotated[str, typer.Option("--from", help="First study date (YYYY-MM-DD), inclusive.")],
    date_to: Annotated[str, typer.Option("--to", help="Last study date (YYYY-MM-DD), inclusive.")],
    modality: Annotated[
        list[str] | None, typer.Option("--modality", help="Only studies with this modality (repeatable).")
    ] = None,
    method: Annotated[str | None, typer.Option("--method", help="get or move (default: the node's).")] = None,
    aet: Annotated[
        str, typer.Option("--aet", help="Kerma's AE title (C-MOVE destination default).")
    ] = "KERMA",
    listen_port: Annotated[
        int | None,
        typer.Option(
            "--listen-port", help="C-MOVE: receive on this port during the pull (no `kerma serve` running)."
        ),
    ] = None,
    window_days: Annotated[int, typer.Option("--window-days", min=1, help="Days per study C-FIND.")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    db: DbOption = None,
) -> None:
    """Pull dose objects (RDSRs; else one image per series) of a date range; re-running resumes."""
    from kerma.ingest.hooks import default_hooks
    from kerma.net.config import get_pacs_node
    from kerma.net.dicom_scp import DicomNode, NodeConfig
    from kerma.net.pull import pull
    from kerma.net.qr import PacsError

    start, end = _day(date_from, "--from"), _day(date_to, "--to")
    if end < start:
        raise typer.BadParameter("--to is before --from", param_hint="--to")
    settings = load_settings()
    engine = _engine(db)
    node = get_pacs_node(engine, name)
    if node is None:
        err.print(f"[red]no PACS node {name}[/red] (kerma pacs add)")
        raise typer.Exit(2)
    hooks = default_hooks()
    listener = None
    if listen_port is not None:
        listener = DicomNode(engine, settings, NodeConfig(aet=aet, port=listen_port), hooks=hooks)
        listener.start()
    progress = Progress(
        TextColumn(f"[bold]pulling from {name}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=not err.is_terminal,
    )
    try:
        with progress:
            task = progress.add_task("pull", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            summary = pull(
                engine,
                settings,
                node,
                start,
                end,
                tuple(modality or ()),
                aet=aet,
                method=method,
                hooks=hooks,
                progress=advance,
                write_lock=listener.receiver.write_lock if listener else None,
                window_days=window_days,
            )
    except (PacsError, ValueError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    finally:
        if listener is not None:
            listener.stop(grace_s=2)
    data = summary.as_dict()
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
    else:
        t = Table(title=f"pull from {name} {start} .. {end}")
        for key, value in data.items():
            if key not in ("errors", "node", "from", "to"):
                t.add_row(key, json.dumps(value) if isinstance(value, dict) else str(value))
        Console().print(t)
        for e in summary.errors:
            err.print(f"[red]error[/red] {e}")
    rejected = summary.outcomes.get("rejected", 0)
    raise typer.Exit(1 if (summary.errors or summary.failed or rejected) else 0)


def register(app: typer.Typer) -> None:
    """Add `serve`, `senders` and `pacs` to the `kerma` command."""
    app.command("serve")(serve)
    app.add_typer(senders_app, name="senders")
    app.add_typer(pacs_app, name="pacs")
