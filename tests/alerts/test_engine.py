"""Evaluation at ingest and over history: thresholds per event and per study, filters, DRL multiples,
'not applicable' when there is no DRL, idempotence, and notifications written to the outbox only."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import Engine, func, select, update

from kerma.alerts.history import evaluate_range
from kerma.alerts.routing import add_recipient
from kerma.alerts.rulestore import not_applicable, rules_changed
from kerma.domain.model import IrradiationEvent
from kerma.store.schema.alerts import alert_outbox, alerts
from kerma.store.schema.core import studies
from tests.alerts.helpers import (
    CT2_ROOM,
    add_rule,
    alert_count,
    ct_study,
    drl_row,
    local_drls,
    map_ct_thorax,
    rf_study,
    store,
)


def _alerts(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(alerts).order_by(alerts.c.id)).mappings()]


def test_study_threshold_fires_at_ingest_once(engine: Engine) -> None:
    add_rule(engine, {"name": "CT DLP", "scope": "study", "quantity": "total_dlp_mgy_cm", "threshold": 500})
    store(engine, ct_study(1, dlp=400.0), ct_study(2, dlp=650.0))
    found = _alerts(engine)
    assert len(found) == 1
    a = found[0]
    assert a["quantity"] == "total_dlp_mgy_cm" and a["value"] == pytest.approx(650.0)
    assert a["threshold"] == 500 and a["state"] == "new" and a["scope_key"] == "s:1.2.2"
    assert "total_dlp_mgy_cm 650 mGy·cm above 500 mGy·cm" in a["details"]["reason"]  # type: ignore[index]
    # the same object again, then a full re-evaluation: nothing new
    store(engine, ct_study(2, dlp=650.0))
    assert evaluate_range(engine).new_alerts == 0
    assert alert_count(engine) == 1


def test_event_threshold_one_alert_per_event(engine: Engine) -> None:
    add_rule(engine, {"name": "series", "scope": "event", "quantity": "ctdivol_mgy", "threshold": 50})
    evs = [
        IrradiationEvent("E.a", "CT", ctdivol_mgy=5.0, dlp_mgy_cm=10.0),
        IrradiationEvent("E.b", "CT", ctdivol_mgy=55.0, dlp_mgy_cm=500.0),
        IrradiationEvent("E.c", "CT", ctdivol_mgy=70.0, dlp_mgy_cm=700.0),
    ]
    store(engine, ct_study(3, events=evs))
    found = _alerts(engine)
    assert sorted(a["irradiation_event_uid"] for a in found) == ["E.b", "E.c"]  # type: ignore[type-var]
    evaluate_range(engine)
    evaluate_range(engine)
    assert alert_count(engine) == 2


def test_filters_modality_age_band_room_and_phantoms(engine: Engine) -> None:
    add_rule(
        engine,
        {
            "name": "children on CT2",
            "scope": "study",
            "quantity": "total_dlp_mgy_cm",
            "threshold": 100,
            "filters": {"modalities": ["CT"], "age_max": 18, "rooms": ["ct2"]},
        },
    )
    add_rule(
        engine,
        {
            "name": "RF DAP",
            "scope": "study",
            "quantity": "total_dap_gy_cm2",
            "threshold": 10,
            "filters": {"modalities": ["RF"]},
        },
    )
    store(
        engine,
        ct_study(10, dlp=500.0, age=8.0, device=CT2_ROOM),  # fires
        ct_study(11, dlp=500.0, age=40.0, device=CT2_ROOM),  # adult
        ct_study(12, dlp=500.0, age=8.0),  # other room
        ct_study(13, dlp=500.0, age=None, device=CT2_ROOM),  # age unknown: outside a band
        rf_study(14, 50.0),  # fires the RF rule only
    )
    phantom = ct_study(15, dlp=500.0, age=8.0, device=CT2_ROOM, patient="PHANTOM")
    store(engine, phantom)
    uids = sorted((a["scope_key"], a["rule_id"]) for a in _alerts(engine))
    assert uids == [("s:1.2.10", 1), ("s:1.3.14", 2)]


def test_multiple_of_the_drl_with_exam_codes(engine: Engine) -> None:
    map_ct_thorax(engine)
    local_drls(
        engine,
        [drl_row("1030", "dlp_mgy_cm", 300, "mGy*cm"), drl_row("1030", "ctdivol_mgy", 10, "mGy", "exposure")],
    )
    saved = add_rule(
        engine, {"name": "2xDRL", "scope": "study", "quantity": "total_dlp_mgy_cm", "drl_factor": 2}
    )
    assert saved.warnings == []
    add_rule(engine, {"name": "series 3xDRL", "scope": "event", "quantity": "ctdivol_mgy", "drl_factor": 3})
    store(engine, ct_study(20, dlp=590.0, ctdivol=29.0), ct_study(21, dlp=610.0, ctdivol=31.0))
    found = _alerts(engine)
    assert [(a["scope_key"], a["threshold"], a["drl_value"]) for a in found] == [
        ("s:1.2.21", 600.0, 300.0),
        ("e:1.2.21:2.25.21.1", 30.0, 10.0),
    ]
    assert found[0]["exam_code"] == "1030" and found[0]["drl_factor"] == 2


def test_a_drl_that_does_not_exist_is_not_applicable_and_warns(engine: Engine) -> None:
    map_ct_thorax(engine)
    local_drls(engine, [drl_row("1030", "ctdivol_mgy", 10, "mGy", "exposure")])
    saved = add_rule(
        engine, {"name": "DLP", "scope": "study", "quantity": "total_dlp_mgy_cm", "drl_factor": 1.5}
    )
    assert saved.warnings == [
        "no active DRL exists for dlp_mgy_cm: the rule is 'not applicable' until one is activated"
    ]
    saved = add_rule(
        engine,
        {
            "name": "head",
            "scope": "event",
            "quantity": "ctdivol_mgy",
            "drl_factor": 1,
            "filters": {"exam_codes": ["1010", "1030"]},
        },
    )
    assert saved.warnings == [
        "no active DRL for exam code 1010 and ctdivol_mgy: the rule is 'not applicable' for it"
    ]
    store(
        engine,
        ct_study(30, dlp=5000.0, ctdivol=5.0),
        ct_study(31, dlp=5000.0, ctdivol=5.0, description="Abdomen"),
    )
    assert alert_count(engine) == 0
    with engine.connect() as conn:
        rows = not_applicable(conn)
    assert [(r["rule"], r["exam_code"]) for r in rows] == [("DLP", ""), ("DLP", "1030")]
    assert "no active DRL for exam code 1030 and dlp_mgy_cm" in rows[1]["reason"]
    assert "no exam code" in rows[0]["reason"]
    evaluate_range(engine)
    with engine.connect() as conn:
        assert len(not_applicable(conn)) == 2


def test_outbox_rows_are_written_in_the_transaction_nothing_is_sent(engine: Engine) -> None:
    with engine.begin() as conn:
        add_recipient(conn, {"name": "mpe", "channel": "email", "address": "mpe@example.org"}, "test")
        add_recipient(
            conn,
            {
                "name": "rad",
                "channel": "email",
                "address": "rad@example.org",
                "role": "radiologist",
                "modalities": ["RF"],
            },
            "test",
        )
        add_recipient(conn, {"name": "inbox", "channel": "inbox"}, "test")
    add_rule(
        engine,
        {
            "name": "CT DLP",
            "scope": "study",
            "quantity": "total_dlp_mgy_cm",
            "threshold": 500,
            "notify_roles": ["mpe", "radiologist"],
        },
    )
    store(engine, ct_study(40, dlp=900.0))
    with engine.connect() as conn:
        rows = conn.execute(
            select(alert_outbox.c.recipient_id, alert_outbox.c.state, alert_outbox.c.attempts)
        ).all()
    # the radiologist watches RF only; the inbox needs no delivery
    assert [(r[1], r[2]) for r in rows] == [("pending", 0)]
    store(engine, ct_study(40, dlp=900.0))
    evaluate_range(engine)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(alert_outbox)).scalar_one() == 1


def test_rules_added_later_see_history_and_disabled_rules_do_nothing(engine: Engine) -> None:
    store(
        engine,
        ct_study(50, dlp=900.0, when=datetime(2025, 1, 1)),
        ct_study(51, dlp=900.0, when=datetime(2025, 2, 1)),
    )
    add_rule(
        engine, {"name": "off", "scope": "study", "quantity": "dlp_mgy_cm", "threshold": 1, "enabled": False}
    )
    add_rule(engine, {"name": "on", "scope": "study", "quantity": "dlp_mgy_cm", "threshold": 500})
    assert alert_count(engine) == 0
    s = evaluate_range(engine, datetime(2025, 1, 15), datetime(2025, 3, 1))
    assert (s.studies, s.new_alerts) == (1, 1)
    assert evaluate_range(engine).new_alerts == 1
    assert evaluate_range(engine).new_alerts == 0


def test_rules_edited_by_hand_are_picked_up(engine: Engine) -> None:
    add_rule(engine, {"name": "x", "scope": "study", "quantity": "dlp_mgy_cm", "threshold": 5000})
    store(engine, ct_study(60, dlp=900.0))
    from kerma.store.schema.alerts import alert_rules

    with engine.begin() as conn:
        conn.execute(update(alert_rules).values(threshold=500.0))
    rules_changed()
    assert evaluate_range(engine).new_alerts == 1


def test_aggregates_match_between_python_and_sql(engine: Engine) -> None:
    """The study being ingested (Python) and a device series (SQL) compute the same CTDIvol mean."""
    evs = [
        IrradiationEvent("A.l", "CT", event_type="constant_angle", ctdivol_mgy=0.5),
        IrradiationEvent("A.1", "CT", event_type="spiral", ctdivol_mgy=10.0, dlp_mgy_cm=100.0),
        IrradiationEvent("A.2", "CT", event_type="spiral", ctdivol_mgy=20.0, dlp_mgy_cm=200.0),
        IrradiationEvent("A.m", "CT", event_type="stationary", ctdivol_mgy=40.0),
    ]
    add_rule(engine, {"name": "mean", "scope": "study", "quantity": "ctdivol_mgy_mean", "threshold": 14.9})
    add_rule(engine, {"name": "sum", "scope": "study", "quantity": "ctdivol_mgy_sum", "threshold": 69.9})
    add_rule(
        engine,
        {
            "name": "dev",
            "scope": "device",
            "quantity": "ctdivol_mgy_mean",
            "threshold": 14.9,
            "filters": {"exam_codes": ["1030"]},
        },
    )
    map_ct_thorax(engine)
    store(engine, ct_study(70, events=evs))
    got = {a["quantity"] + ":" + str(a["scope"]): a["value"] for a in _alerts(engine)}  # type: ignore[operator]
    # mean over diagnostic series (10, 20); the sum leaves out only the localizer (10 + 20 + 40)
    assert got == {
        "ctdivol_mgy_mean:study": 15.0,
        "ctdivol_mgy_sum:study": 70.0,
        "ctdivol_mgy_mean:device": 15.0,
    }


def test_undated_studies_are_evaluated_last_and_only_without_a_range(engine: Engine) -> None:
    add_rule(
        engine, {"name": "x", "scope": "study", "quantity": "dlp_mgy_cm", "threshold": 5000, "enabled": True}
    )
    rep = ct_study(80, dlp=9000.0)
    rep.study.study_datetime = None
    store(engine, rep)
    with engine.begin() as conn:
        conn.execute(update(studies).values(study_datetime=None))
    assert alert_count(engine) == 1
    assert evaluate_range(engine, datetime(2020, 1, 1)).studies == 0


def test_a_failing_evaluation_never_loses_the_dose_data(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from kerma.alerts import hooks

    add_rule(engine, {"name": "x", "scope": "study", "quantity": "dlp_mgy_cm", "threshold": 1})

    def broken(conn: object, study_id: int) -> None:
        raise RuntimeError("a bug in a rule")

    monkeypatch.setattr(hooks, "evaluate_study", broken)
    (res,) = store(engine, ct_study(90, dlp=900.0))
    assert res.outcome.value == "stored"
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(studies)).scalar_one() == 1
    assert "alert evaluation failed for study 1.2.90" in caplog.text
    monkeypatch.undo()
    assert evaluate_range(engine).new_alerts == 1
