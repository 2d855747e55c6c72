"""The German criteria (StrlSchV Anlage 14 I): single-person CT and fluoroscopy limits, and the group
criterion over the last 20 exams of the same type on the same device."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from kerma.alerts.history import evaluate_range
from kerma.alerts.presets import copy_preset
from kerma.alerts.rulestore import update_rule
from kerma.domain.model import IrradiationEvent
from kerma.domain.units import Quantity, to_canonical
from kerma.store.schema.alerts import alerts
from tests.alerts.helpers import (
    CT2_ROOM,
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


def _preset(engine: Engine, preset_id: str) -> None:
    with engine.begin() as conn:
        copy_preset(conn, preset_id, "test")


def test_single_person_ct_per_series_brain_and_other(engine: Engine) -> None:
    _preset(engine, "de-single-person-series")
    store(
        engine,
        ct_study(1, ctdivol=119.0, region="Head", description="CCT"),  # brain, below 120
        ct_study(2, ctdivol=121.0, region="Head", description="CCT"),  # brain, above 120
        ct_study(3, ctdivol=81.0, region="Chest"),  # other CT, above 80
        ct_study(4, ctdivol=100.0, region=None, description="CT Schädel nativ"),  # brain by description
    )
    got = [(a["scope_key"], a["value"], a["threshold"]) for a in _alerts(engine)]
    assert got == [("s:1.2.2", 121.0, 120.0), ("s:1.2.3", 81.0, 80.0)]
    assert _alerts(engine)[0]["irradiation_event_uid"] == "2.25.2.1"


def test_single_person_ct_per_exam_sums_the_series(engine: Engine) -> None:
    _preset(engine, "de-single-person-exam")
    evs = [
        IrradiationEvent("S.l", "CT", event_type="constant_angle", ctdivol_mgy=30.0),  # localizer: left out
        IrradiationEvent("S.1", "CT", event_type="spiral", ctdivol_mgy=45.0, target_region="Chest"),
        IrradiationEvent("S.2", "CT", event_type="spiral", ctdivol_mgy=40.0, target_region="Chest"),
    ]
    store(engine, ct_study(5, events=evs))
    (a,) = _alerts(engine)
    assert (a["quantity"], a["value"], a["threshold"]) == ("ctdivol_mgy_sum", 85.0, 80.0)
    # read per series, neither series of an exam like it is above 80 mGy
    with engine.begin() as conn:
        update_rule(conn, 1, {"params": {"ct_per": "series"}}, "test")
    evs = [IrradiationEvent("T.1", "CT", ctdivol_mgy=45.0), IrradiationEvent("T.2", "CT", ctdivol_mgy=40.0)]
    store(engine, ct_study(6, events=evs))
    assert alert_count(engine) == 1


def test_fluoroscopy_dap_limit_is_20000_cgy_cm2(engine: Engine) -> None:
    _preset(engine, "de-single-person-series")
    limit = to_canonical(20000, "cGy*cm2", Quantity.DAP)
    assert limit == pytest.approx(200.0)
    store(engine, rf_study(1, 199.99), rf_study(2, 200.01), rf_study(3, 5000.0, modality="XA"))
    got = [(a["scope_key"], a["quantity"], a["value"], a["threshold"]) for a in _alerts(engine)]
    # XA (interventions) is not diagnostic fluoroscopy unless the rule says so
    assert got == [("s:1.3.2:fluoro", "total_dap_gy_cm2", 200.01, 200.0)]


def _series(start: datetime, n: int, first: int, dlp: float) -> list:
    return [ct_study(first + i, dlp=dlp, when=start + timedelta(hours=i)) for i in range(n)]


def test_group_criterion(engine: Engine) -> None:
    map_ct_thorax(engine)
    local_drls(engine, [drl_row("1030", "dlp_mgy_cm", 100, "mGy*cm")])
    _preset(engine, "de-group-ct-dlp")
    t0 = datetime(2025, 5, 1, 8)
    # 19 exams at 2.1 x DRL: high, but no single exam above 3 x DRL yet
    store(engine, *_series(t0, 19, 100, 210.0))
    assert alert_count(engine) == 0
    # the 20th exceeds 3 x DRL: mean of the last 20 = (19*210 + 310) / 20 = 215 > 200
    store(engine, ct_study(200, dlp=310.0, when=t0 + timedelta(hours=19)))
    (a,) = _alerts(engine)
    assert a["value"] == pytest.approx(215.0) and a["threshold"] == pytest.approx(200.0)
    assert a["drl_value"] == 100.0 and a["details"]["count"] == 20  # type: ignore[index]
    assert a["details"]["trigger_value"] == 310.0  # type: ignore[index]
    # another exam above 3 x DRL while the same 20-exam window holds an alert: no second alert
    store(engine, ct_study(201, dlp=320.0, when=t0 + timedelta(hours=20)))
    assert alert_count(engine) == 1
    assert evaluate_range(engine).new_alerts == 0


def test_group_criterion_not_met(engine: Engine) -> None:
    map_ct_thorax(engine)
    local_drls(engine, [drl_row("1030", "dlp_mgy_cm", 100, "mGy*cm")])
    _preset(engine, "de-group-ct-dlp")
    t0 = datetime(2025, 5, 1, 8)
    # mean (19*150 + 400) / 20 = 162.5, below 2 x DRL, though one exam is above 3 x DRL
    store(engine, *_series(t0, 19, 300, 150.0), ct_study(400, dlp=400.0, when=t0 + timedelta(hours=19)))
    assert alert_count(engine) == 0
    # fewer than 20 exams on a device: the criterion cannot be judged yet
    store(engine, ct_study(401, dlp=900.0, when=t0, device=CT2_ROOM))
    assert alert_count(engine) == 0
