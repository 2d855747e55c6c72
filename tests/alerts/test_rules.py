"""Rules as data: validation of thresholds, quantities, units, scopes and filters (no database)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kerma.alerts.quantities import Scope
from kerma.alerts.rules import Kind, RuleError, rule_from_dict


def _rule(**kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "name": "r",
        "scope": "study",
        "quantity": "total_dlp_mgy_cm",
        "threshold": 1000,
    }
    base.update(kw)
    return base


@pytest.mark.parametrize("bad", [-5, "-5", 0, "0", "abc", "", "nan", "inf", True, [1]])
def test_threshold_must_be_a_positive_number(bad: object) -> None:
    with pytest.raises(RuleError, match=r"^threshold: "):
        rule_from_dict(_rule(threshold=bad))


def test_drl_factor_must_be_positive() -> None:
    with pytest.raises(RuleError, match=r"^drl_factor: must be positive"):
        rule_from_dict(_rule(threshold=None, drl_factor=-2))
    with pytest.raises(RuleError, match=r"^drl_factor: 'two' is not a number"):
        rule_from_dict(_rule(threshold=None, drl_factor="two"))


def test_exactly_one_of_threshold_and_drl_factor() -> None:
    with pytest.raises(RuleError, match="exactly one"):
        rule_from_dict(_rule(drl_factor=2))
    with pytest.raises(RuleError, match="exactly one"):
        rule_from_dict(_rule(threshold=None))


def test_unknown_quantity_lists_the_valid_ones() -> None:
    with pytest.raises(RuleError) as exc:
        rule_from_dict(_rule(quantity="dose"))
    msg = str(exc.value)
    assert msg.startswith("quantity: unknown quantity 'dose' for scope study; valid: ")
    assert "total_dlp_mgy_cm" in msg and "ctdivol_mgy_max" in msg and "total_dap_gy_cm2" in msg


def test_ctdivol_at_study_scope_says_which_aggregate() -> None:
    with pytest.raises(RuleError, match="ctdivol_mgy_max, ctdivol_mgy_sum or ctdivol_mgy_mean"):
        rule_from_dict(_rule(quantity="ctdivol_mgy"))


def test_study_scope_accepts_the_event_spelling_of_a_total() -> None:
    assert rule_from_dict(_rule(quantity="dlp_mgy_cm")).quantity == "total_dlp_mgy_cm"
    assert rule_from_dict(_rule(scope="event", quantity="dlp_mgy_cm")).quantity == "dlp_mgy_cm"


def test_thresholds_are_converted_to_the_canonical_unit() -> None:
    dap = rule_from_dict(_rule(quantity="total_dap_gy_cm2", threshold=20000), unit="cGy*cm2")
    assert dap.threshold == pytest.approx(200.0)  # 20 000 cGy·cm² = 200 Gy·cm²
    kar = rule_from_dict(_rule(quantity="total_kar_mgy", threshold=5), unit="Gy")
    assert kar.threshold == pytest.approx(5000.0)
    time = rule_from_dict(_rule(quantity="total_fluoro_time_s", threshold=60), unit="min")
    assert time.threshold == pytest.approx(3600.0)
    with pytest.raises(RuleError, match=r"^unit: .*cannot be converted"):
        rule_from_dict(_rule(quantity="total_dap_gy_cm2", threshold=1), unit="mGy")


@given(st.floats(min_value=1e-6, max_value=1e9, allow_nan=False))
def test_a_canonical_threshold_is_kept_and_cgy_cm2_is_a_hundredth(value: float) -> None:
    assert rule_from_dict(_rule(quantity="total_dap_gy_cm2", threshold=value)).threshold == value
    converted = rule_from_dict(_rule(quantity="total_dap_gy_cm2", threshold=value), unit="cGy.cm2").threshold
    assert converted is not None and math.isclose(converted, value / 100, rel_tol=1e-10)


def test_drl_factor_needs_a_quantity_with_a_drl() -> None:
    with pytest.raises(RuleError, match="no DRL is defined for total_fluoro_dap_gy_cm2"):
        rule_from_dict(_rule(quantity="total_fluoro_dap_gy_cm2", threshold=None, drl_factor=2))
    with pytest.raises(RuleError, match="cumulative dose has no DRL"):
        rule_from_dict(_rule(scope="patient", threshold=None, drl_factor=2))


def test_patient_and_device_defaults() -> None:
    p = rule_from_dict(_rule(scope="patient"))
    assert p.params["window_days"] == 365
    d = rule_from_dict(_rule(scope="device", threshold=None, drl_factor=2))
    assert d.params["count"] == 20
    with pytest.raises(RuleError, match=r"params\.window_days"):
        rule_from_dict(_rule(scope="patient", params={"window_days": -1}))


def test_kinds_of_their_own() -> None:
    single = rule_from_dict({"name": "s", "kind": "de_single_person"})
    assert single.scope is Scope.STUDY and single.kind is Kind.DE_SINGLE_PERSON
    assert single.params["fluoro_dap_gy_cm2"] == pytest.approx(200.0)
    assert single.params["ct_per"] == "series"
    with pytest.raises(RuleError, match="ct_per"):
        rule_from_dict({"name": "s", "kind": "de_single_person", "params": {"ct_per": "day"}})
    with pytest.raises(RuleError, match="takes its limits from params"):
        rule_from_dict({"name": "s", "kind": "de_single_person", "threshold": 3})
    group = rule_from_dict({"name": "g", "kind": "de_group", "quantity": "total_dlp_mgy_cm"})
    assert group.scope is Scope.DEVICE and group.params["count"] == 20 and group.params["trigger_factor"] == 3
    with pytest.raises(RuleError, match="needs the DRL quantity"):
        rule_from_dict({"name": "g", "kind": "de_group"})
    dc = rule_from_dict({"name": "d", "kind": "dose_check"})
    assert dc.scope is Scope.EVENT
    with pytest.raises(RuleError, match="per event"):
        rule_from_dict({"name": "d", "kind": "dose_check", "scope": "study"})


def test_filters_are_checked() -> None:
    r = rule_from_dict(_rule(filters={"modalities": ["ct"], "exam_codes": ["10*"], "age_min": 18}))
    assert r.filters.modalities == ["CT"] and r.filters.age_min == 18.0
    with pytest.raises(RuleError, match="unknown key"):
        rule_from_dict(_rule(filters={"colour": "red"}))
    with pytest.raises(RuleError, match="not a regular expression"):
        rule_from_dict(_rule(filters={"protocol": "("}))
    with pytest.raises(RuleError, match="age_min"):
        rule_from_dict(_rule(filters={"age_min": -1}))


def test_unknown_scope_kind_and_severity() -> None:
    with pytest.raises(RuleError, match="scope: 'room' is not one of event, study, patient, device"):
        rule_from_dict(_rule(scope="room"))
    with pytest.raises(RuleError, match="kind"):
        rule_from_dict(_rule(kind="magic"))
    with pytest.raises(RuleError, match="severity"):
        rule_from_dict(_rule(severity="panic"))


def test_round_trip_through_json_form() -> None:
    r = rule_from_dict(_rule(filters={"modalities": ["CT"]}, notify_roles=["MPE"]))
    again = rule_from_dict({k: v for k, v in r.as_dict().items() if k != "id"})
    assert again.as_dict() == r.as_dict()
