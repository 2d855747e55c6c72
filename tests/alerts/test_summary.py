"""The scheduled summary: its period, its content, and that each period is queued once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from kerma.alerts.config import AlertsConfig, ReportConfig
from kerma.alerts.delivery import schedule_report
from kerma.alerts.messages import render_report
from kerma.alerts.routing import add_recipient
from kerma.alerts.summary import build_summary, period_for
from kerma.store import open_store
from kerma.store.schema.alerts import alert_outbox, alert_reports
from kerma.store.writer import utcnow
from tests.alerts.helpers import add_rule, ct_study, drl_row, local_drls, map_ct_thorax, rf_study, store


def test_weekly_period_ends_on_the_configured_weekday_and_hour() -> None:
    cfg = ReportConfig(every_days=7, weekday=0, hour=7)
    # Wednesday 2025-03-12 10:00 -> the week Monday 03-03 07:00 .. Monday 03-10 07:00
    assert period_for(datetime(2025, 3, 12, 10), cfg) == (datetime(2025, 3, 3, 7), datetime(2025, 3, 10, 7))
    # Monday 06:59 is still the week before
    assert period_for(datetime(2025, 3, 10, 6, 59), cfg) == (
        datetime(2025, 2, 24, 7),
        datetime(2025, 3, 3, 7),
    )
    daily = ReportConfig(every_days=1, hour=6)
    assert period_for(datetime(2025, 3, 12, 5), daily) == (datetime(2025, 3, 10, 6), datetime(2025, 3, 11, 6))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = open_store(db_url)
    map_ct_thorax(eng)
    local_drls(eng, [drl_row("1030", "dlp_mgy_cm", 300, "mGy*cm")])
    add_rule(eng, {"name": "CT DLP", "scope": "study", "quantity": "dlp_mgy_cm", "threshold": 500})
    t0 = datetime(2025, 3, 4, 9)
    store(
        eng,
        *[ct_study(i, dlp=400.0, when=t0 + timedelta(hours=i)) for i in range(1, 4)],  # median 400 > DRL 300
        ct_study(4, dlp=900.0, when=t0 + timedelta(hours=4)),
        ct_study(5, dlp=100.0, when=t0, description="CT Abdomen nativ"),  # no exam code
        rf_study(6, 20.0, when=t0),
        ct_study(7, dlp=100.0, when=t0 + timedelta(days=30)),  # outside the period
    )
    yield eng
    eng.dispose()


def test_summary_content(engine: Engine) -> None:
    start, end = datetime(2025, 3, 3, 7), datetime(2025, 3, 10, 7)
    with engine.connect() as conn:
        s = build_summary(conn, start, end, min_studies=3)
    assert s["exams"] == {"total": 6, "by_modality": {"CT": 5, "RF": 1}}
    # alerts are counted by when they were raised (here: today, by the ingest above)
    assert s["alerts"]["raised"] == 0 and s["alerts"]["open"] == 1
    with engine.connect() as conn:
        today = utcnow()
        raised = build_summary(conn, today - timedelta(days=1), today + timedelta(days=1))["alerts"]
    assert raised["raised"] == 1 and raised["by_rule"] == [{"rule": "CT DLP", "count": 1}]
    assert raised["by_state"] == {"new": 1}
    (room,) = s["rooms_above_drl"]
    assert (room["room"], room["exam_code"], room["quantity"], room["drl"], room["studies"]) == (
        "CT1",
        "1030",
        "dlp_mgy_cm",
        300.0,
        4,
    )
    assert room["median"] == pytest.approx(400.0)
    names = {(n["modality"], n["count"]) for n in s["unmapped"]["names"]}
    assert ("CT", 1) in names and ("RF", 1) in names and s["unmapped"]["studies"] == 2
    text = render_report(s).text
    assert "Exams: 6" in text and "CT1 1030 dlp_mgy_cm: median 400 > DRL 300 (4 exams)" in text


def test_each_period_is_queued_once_for_report_recipients(engine: Engine) -> None:
    with engine.begin() as conn:
        add_recipient(conn, {"name": "mpe", "address": "mpe@example.org", "receives_reports": True}, "t")
        add_recipient(conn, {"name": "tech", "address": "tech@example.org"}, "t")
    cfg = AlertsConfig()
    now = datetime(2025, 3, 12, 10)
    rid = schedule_report(engine, cfg, now)
    assert rid is not None
    assert schedule_report(engine, cfg, now + timedelta(hours=5)) is None
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(alert_reports)).scalar_one() == 1
        rows = conn.execute(select(alert_outbox.c.kind, alert_outbox.c.report_id, alert_outbox.c.state).where(
            alert_outbox.c.kind == "report")).all()  # fmt: skip
    assert [tuple(r) for r in rows] == [("report", rid, "pending")]
