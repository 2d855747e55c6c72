"""Ingest status: `/api/status/ingest` (JSON) and a plain server-rendered page at `/status`.

The page has no scripts or external assets: it refreshes itself every 15 seconds.
"""

from __future__ import annotations

from html import escape
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine

from kerma.net.ingest_status import ingest_status
from kerma.web.deps import get_engine

router = APIRouter(prefix="/api/status", tags=["status"])
pages = APIRouter(tags=["status"])


def _listener(request: Request) -> dict[str, Any] | None:
    node = getattr(request.app.state, "dicom_node", None)
    return node.status() if node is not None else None


@router.get("/ingest")
def ingest(request: Request, engine: Annotated[Engine, Depends(get_engine)]) -> dict[str, Any]:
    """Counts per channel, outcome and dose source, MPPS steps, last errors and the DICOM listener's state."""
    return ingest_status(engine, _listener(request))


def _table(title: str, rows: dict[str, dict[str, int]]) -> str:
    outcomes = sorted({o for counts in rows.values() for o in counts})
    if not rows:
        return f"<h2>{escape(title)}</h2><p>nothing yet</p>"
    head = "".join(f"<th>{escape(o)}</th>" for o in outcomes)
    body = "".join(
        f"<tr><th>{escape(name)}</th>" + "".join(f"<td>{counts.get(o, 0)}</td>" for o in outcomes) + "</tr>"
        for name, counts in sorted(rows.items())
    )
    return f"<h2>{escape(title)}</h2><table><tr><th></th>{head}</tr>{body}</table>"


def render(status: dict[str, Any]) -> str:
    """The status page's HTML."""
    node = status.get("listener")
    if node:
        listener = (
            f"<p>DICOM listener <b>{escape(str(node['aet']))}</b> "
            f"on {escape(str(node['host']))}:{node['port']}"
            f"{' (TLS)' if node.get('tls') else ''}, "
            f"{'known senders only' if node.get('restrict_senders') else 'open to all senders'}; "
            f"{node['active_associations']} open associations, {node['associations_total']} since start, "
            f"{node['associations_rejected']} refused.</p>"
        )
    else:
        listener = "<p>No DICOM listener in this process.</p>"
    errors = "".join(
        f"<tr><td>{escape(e['at'] or '')}</td><td>{escape(e['channel'] or '')}</td>"
        f"<td>{escape(e['origin'] or '')}</td><td>{escape(e['reason'] or '')}</td></tr>"
        for e in status["last_errors"]
    )
    mpps = ", ".join(f"{escape(k)}: {v}" for k, v in sorted(status["mpps_steps"].items())) or "none"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="15">
<title>Kerma ingest status</title>
<style>body{{font-family:sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse;margin-bottom:1em}}
td,th{{border:1px solid #ccc;padding:.25em .6em;text-align:left}}td{{text-align:right}}
.err td{{text-align:left;font-size:90%}}</style></head>
<body><h1>Ingest status</h1>
{listener}
<p>Last object received: {escape(status["last_received_at"] or "never")}.
Page generated {escape(status["generated_at"])}.</p>
{_table("Objects per channel (all time)", status["by_channel"])}
{_table("Objects per channel (last 24 hours)", status["last_24h"])}
{_table("Stored dose objects per source", status["by_source"])}
<h2>MPPS steps</h2><p>{mpps}</p>
<h2>Last rejected objects</h2>
<table class="err"><tr><th>at</th><th>channel</th><th>origin</th><th>reason</th></tr>{errors}</table>
</body></html>"""


@pages.get("/status", response_class=HTMLResponse, include_in_schema=False)
def status_page(request: Request, engine: Annotated[Engine, Depends(get_engine)]) -> HTMLResponse:
    """The ingest status page."""
    return HTMLResponse(render(ingest_status(engine, _listener(request))))
