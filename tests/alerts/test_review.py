"""The review workflow (states, comments, who and when) and the export of reportable events."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Engine, update

from kerma.alerts.queries import AlertFilter, export_rows, get_alert, list_alerts, state_counts
from kerma.alerts.review import (
    ReviewError,
    State,
    acknowledge,
    add_comment,
    change_state,
    history,
    parse_state,
)
from kerma.reports.tabular import write_csv, write_json, write_xlsx
from kerma.store import open_store
from kerma.store.schema.alerts import alerts
from tests.alerts.helpers import add_rule, ct_study, drl_row, local_drls, map_ct_thorax, store


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = open_store(db_url)
    map_ct_thorax(eng)
    local_drls(eng, [drl_row("1030", "dlp_mgy_cm", 300, "mGy*cm")])
    add_rule(eng, {"name": "2 x DRL", "scope": "study", "quantity": "total_dlp_mgy_cm", "drl_factor": 2})
    store(eng, ct_study(1, dlp=700.0), ct_study(2, dlp=800.0, patient="PAT2"))
    yield eng
    eng.dispose()


def _ids(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return sorted(int(a["id"]) for a in list_alerts(conn))


def test_states_move_with_who_when_and_why(engine: Engine) -> None:
    a1, _ = _ids(engine)
    with engine.begin() as conn:
        assert acknowledge(conn, a1, "anna") is State.NEW
        change_state(conn, a1, "under review", "ben", "checking the protocol")
        add_comment(conn, a1, "ben", "tube current modulation was off")
        change_state(conn, a1, State.REPORTABLE, "carla", "3 x the usual dose, protocol error")
        change_state(conn, a1, "closed", "carla")
    with engine.connect() as conn:
        h = history(conn, a1)
        a = get_alert(conn, a1)
    assert [(c.actor, c.from_state, c.to_state) for c in h] == [
        ("kerma", None, "new"),
        ("anna", "new", "acknowledged"),
        ("ben", "acknowledged", "under_review"),
        ("ben", None, None),
        ("carla", "under_review", "reportable"),
        ("carla", "reportable", "closed"),
    ]
    assert h[3].comment == "tube current modulation was off"
    assert all(c.at is not None for c in h)
    assert a is not None and a["state"] == "closed" and a["updated_by"] == "carla"
    assert len(a["history"]) == 6


def test_forbidden_moves_and_missing_reasons(engine: Engine) -> None:
    a1, a2 = _ids(engine)
    with engine.begin() as conn:
        with pytest.raises(ReviewError, match="is new already"):
            change_state(conn, a1, "new", "x")
        with pytest.raises(ReviewError, match="comment is required"):
            change_state(conn, a1, "reportable", "x", "  ")
        change_state(conn, a1, "closed", "x")
        with pytest.raises(ReviewError, match="it can go to under_review"):
            change_state(conn, a1, "reportable", "x", "why")
        with pytest.raises(ReviewError, match="unknown state 'lost'"):
            change_state(conn, a2, "lost", "x")
        with pytest.raises(LookupError):
            change_state(conn, 9999, "closed", "x")
        with pytest.raises(ReviewError, match="empty comment"):
            add_comment(conn, a2, "x", " ")
    assert parse_state("Not-Reportable") is State.NOT_REPORTABLE


def test_a_concurrent_change_is_refused(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from kerma.alerts import review

    a1, _ = _ids(engine)
    # this reviewer read 'new'; another moved the alert in between
    monkeypatch.setattr(review, "_current", lambda conn, alert_id: State.NEW)
    with engine.begin() as conn:
        conn.execute(update(alerts).where(alerts.c.id == a1).values(state="acknowledged"))
        with pytest.raises(ReviewError, match="changed by someone else"):
            change_state(conn, a1, "closed", "late")


def test_export_of_reportable_events(engine: Engine, tmp_path: Path) -> None:
    a1, a2 = _ids(engine)
    with engine.begin() as conn:
        change_state(conn, a1, "reportable", "carla", "dose far above the usual for this exam")
        change_state(conn, a2, "not_reportable", "carla", "obese patient, justified")
        counts = state_counts(conn)
    assert counts["reportable"] == 1 and counts["not_reportable"] == 1 and counts["new"] == 0
    with engine.connect() as conn:
        columns, rows = export_rows(conn, AlertFilter(states=["reportable"]))
    assert len(rows) == 1
    row = dict(zip(columns, rows[0], strict=True))
    assert row["exam_date"] == "2025-03-04" and row["room"] == "CT1" and row["exam_code"] == "1030"
    assert row["quantity"] == "total_dlp_mgy_cm" and row["value"] == 700.0 and row["unit"] == "mGy·cm"
    assert row["threshold"] == 600.0 and row["drl_value"] == 300.0 and row["drl_factor"] == 2.0
    assert str(row["patient_pseudonym"]).startswith("P") and row["patient_age_years"] == 54.0
    assert row["patient_sex"] == "F" and row["decided_by"] == "carla"
    assert row["decision_reason"] == "dose far above the usual for this exam"
    assert "above 600" in str(row["trigger"]) and row["state"] == "reportable"
    # no identifying data in any column
    assert not any("Müller" in str(v) or "PAT1" in str(v) for v in rows[0])
    buf = io.StringIO()
    write_csv(columns, rows, buf)
    (parsed,) = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert parsed["value"] == "700.0" and parsed["decision_reason"].startswith("dose far")
    buf = io.StringIO()
    write_json(columns, rows, buf)
    assert json.loads(buf.getvalue())[0]["drl_value"] == 300.0
    out = tmp_path / "events.xlsx"
    write_xlsx(columns, rows, out)
    ws = openpyxl.load_workbook(out, read_only=True).active
    header = [c.value for c in next(ws.iter_rows(max_row=1))]
    assert header == columns and ws.max_row == 2
