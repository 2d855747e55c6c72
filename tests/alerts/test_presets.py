"""Presets cite their source, match the reference table they come from, and are copied as editable rules."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import Engine

from kerma.alerts.presets import PRESETS, UNVERIFIED, copy_preset, get_preset
from kerma.alerts.rules import RuleError, rule_from_dict
from kerma.alerts.rulestore import get_rule, update_rule
from kerma.domain.units import Quantity, to_canonical
from kerma.store import open_store

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "drl" / "trigger-levels.csv"


def test_every_preset_is_a_valid_rule_with_a_source() -> None:
    assert len({p.id for p in PRESETS}) == len(PRESETS)
    assert len({p.title for p in PRESETS}) == len(PRESETS)
    for p in PRESETS:
        assert p.source, p.id
        rule = rule_from_dict(p.rule_data(), unit=p.unit)
        assert rule.source == p.source and rule.preset == p.id
        assert rule.verified == (p.status != "M")
        if not rule.verified:
            assert rule.description and rule.description.startswith(UNVERIFIED)
            assert p.as_dict()["note"] == UNVERIFIED


def _reference_rows() -> list[dict[str, str]]:
    if not REFERENCE.is_file():
        pytest.skip("shared reference tables not found at ../shared/reference/drl")
    with REFERENCE.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_presets_match_the_reference_table() -> None:
    rows = _reference_rows()
    checked = 0
    for p in PRESETS:
        if p.reference is None:
            continue
        source, exam = p.reference
        found = [
            r for r in rows if r["source"].startswith(source) and r["exam_code_or_name"].startswith(exam)
        ]
        assert found, f"{p.id}: no reference row {p.reference}"
        values = {(float(r["value"]), r["unit"]) for r in found}
        assert p.published in values, f"{p.id}: {p.published} not in {values}"
        status = {r["status"] for r in found if (float(r["value"]), r["unit"]) == p.published}
        assert p.status in status, f"{p.id}: status {p.status}, reference {status}"
        checked += 1
    assert checked >= 10


def test_german_single_person_limits_come_from_the_reference() -> None:
    rows = {r["exam_code_or_name"]: r for r in _reference_rows() if r["source"].startswith("StrlSchV")}
    rule = rule_from_dict(get_preset("de-single-person-series").rule_data())
    brain = rows["Any CT of the brain (single person)"]
    other = rows["Any other CT of the body (single person)"]
    fluoro = rows["Diagnostic fluoroscopy total DAP (single person)"]
    assert rule.params["ct_brain_mgy"] == to_canonical(
        float(brain["value"]), brain["unit"], Quantity.AIR_KERMA
    )
    assert rule.params["ct_other_mgy"] == to_canonical(
        float(other["value"]), other["unit"], Quantity.AIR_KERMA
    )
    assert rule.params["fluoro_dap_gy_cm2"] == to_canonical(
        float(fluoro["value"]), fluoro["unit"], Quantity.DAP
    )
    assert rule.params["fluoro_dap_gy_cm2"] == pytest.approx(200.0)


def test_a_copied_preset_is_an_ordinary_editable_rule(db_url: str) -> None:
    engine: Engine = open_store(db_url)
    try:
        with engine.begin() as conn:
            saved = copy_preset(conn, "ncrp168-kap", "test")
            assert saved.rule.threshold == 500.0 and saved.rule.verified is False
            update_rule(conn, saved.rule.id or 0, {"threshold": 400}, "test")
            again = copy_preset(conn, "ncrp168-kap", "test", name="NCRP DAP, RF too")
            with pytest.raises(RuleError, match="exists already"):
                copy_preset(conn, "ncrp168-kap", "test")
        with engine.connect() as conn:
            edited = get_rule(conn, saved.rule.id or 0)
            assert edited is not None and edited.threshold == 400.0 and edited.preset == "ncrp168-kap"
            assert get_rule(conn, "NCRP DAP, RF too") is not None and again.rule.threshold == 500.0
        with pytest.raises(KeyError, match="unknown preset"):
            get_preset("nope")
    finally:
        engine.dispose()
