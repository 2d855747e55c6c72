"""Patient scope: cumulative dose over a rolling window, one alert per window, and patients whose
identities are merged later (evaluated by the patient a study belongs to at evaluation time)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, select, update

from kerma.alerts.history import evaluate_range
from kerma.store import open_store
from kerma.store.schema.alerts import alerts
from kerma.store.schema.core import patients, studies
from tests.alerts.helpers import add_rule, alert_count, ct_study, store

T0 = datetime(2025, 1, 10, 9)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = open_store(db_url)
    add_rule(
        eng,
        {"name": "12 months DLP", "scope": "patient", "quantity": "total_dlp_mgy_cm", "threshold": 1000},
    )
    yield eng
    eng.dispose()


def _alerts(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(alerts).order_by(alerts.c.id)).mappings()]


def test_cumulative_over_the_window_one_alert_per_window(engine: Engine) -> None:
    store(
        engine,
        ct_study(1, dlp=400.0, when=T0),
        ct_study(2, dlp=400.0, when=T0 + timedelta(days=100)),
        ct_study(3, dlp=400.0, when=T0 + timedelta(days=200)),  # 1200 > 1000
        ct_study(4, dlp=400.0, when=T0 + timedelta(days=250)),  # same window: no second alert
    )
    (a,) = _alerts(engine)
    assert (a["scope_key"], a["value"], a["threshold"]) == ("p:1.2.3", 1200.0, 1000.0)
    assert a["details"]["studies"] == 3 and a["details"]["window_days"] == 365  # type: ignore[index]
    # far later: the old studies have left the window, so a new crossing is a new alert
    later = T0 + timedelta(days=800)
    store(engine, ct_study(5, dlp=600.0, when=later), ct_study(6, dlp=600.0, when=later + timedelta(days=1)))
    assert [a["scope_key"] for a in _alerts(engine)] == ["p:1.2.3", "p:1.2.6"]
    assert evaluate_range(engine).new_alerts == 0


def test_other_patients_do_not_add_up(engine: Engine) -> None:
    store(
        engine, ct_study(10, dlp=600.0, when=T0, patient="A"), ct_study(11, dlp=600.0, when=T0, patient="B")
    )
    assert alert_count(engine) == 0


def test_patients_merged_later_are_re_evaluated(engine: Engine) -> None:
    store(
        engine,
        ct_study(20, dlp=600.0, when=T0, patient="OLD-ID"),
        ct_study(21, dlp=600.0, when=T0 + timedelta(days=30), patient="NEW-ID"),
    )
    assert alert_count(engine) == 0
    # An HL7 merge (future work) moves the old identity's studies to the surviving patient.
    with engine.begin() as conn:
        keep = conn.execute(
            select(studies.c.patient_id).where(studies.c.study_instance_uid == "1.2.21")
        ).scalar_one()
        gone = conn.execute(
            select(studies.c.patient_id).where(studies.c.study_instance_uid == "1.2.20")
        ).scalar_one()
        conn.execute(update(studies).where(studies.c.patient_id == gone).values(patient_id=keep))
        key = conn.execute(select(patients.c.patient_key).where(patients.c.id == keep)).scalar_one()
    assert evaluate_range(engine).new_alerts == 1
    (a,) = _alerts(engine)
    assert (a["scope_key"], a["value"]) == ("p:1.2.21", 1200.0)
    # the alert is the surviving patient's
    from kerma.alerts.queries import list_alerts

    with engine.connect() as conn:
        assert list_alerts(conn)[0]["patient_key"] == key
    assert evaluate_range(engine).new_alerts == 0
    # a third study of the merged patient in the same window adds no alert
    store(engine, ct_study(22, dlp=100.0, when=T0 + timedelta(days=40), patient="NEW-ID"))
    assert alert_count(engine) == 1


def test_phantoms_and_studies_without_date_are_left_out(engine: Engine) -> None:
    store(
        engine,
        ct_study(30, dlp=900.0, when=T0, patient="PHANTOM"),
        ct_study(31, dlp=900.0, when=T0, patient="PHANTOM"),
    )
    assert alert_count(engine) == 0
