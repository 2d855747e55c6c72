"""Mapping rules: exact, normalised and regex matches, per device or global, in order."""

from __future__ import annotations

import pytest

from kerma.nomenclature.rules import Rule, RuleSet, StudyText


def _rule(i: int, match: str, pattern: str, code: str, **kw: object) -> Rule:
    return Rule.build(
        id=i, match=match, field=kw.pop("field", "study_description"), pattern=pattern, exam_code=code, **kw
    )


def test_match_kinds() -> None:
    st = StudyText("CT", 7, "CT Schädel nativ 2", protocols=("Head^Routine",))
    assert _rule(1, "exact", "CT Schädel nativ 2", "1010").matches(st)
    assert not _rule(1, "exact", "ct schädel nativ 2", "1010").matches(st)
    assert _rule(1, "normalised", "CT SCHÄDEL-NATIV", "1010").matches(st)  # case, punctuation, numbers
    assert _rule(1, "regex", r"sch(ä|ae)del", "1010").matches(st)
    assert _rule(1, "regex", r"^head", "1010", field="protocol").matches(st)
    assert _rule(1, "normalised", "CT Schädel nativ", "1010", modality="DX").matches(st) is False
    assert _rule(1, "normalised", "CT Schädel nativ", "1010", device_id=8).matches(st) is False


def test_order_device_then_priority_then_kind() -> None:
    st = StudyText("CT", 7, "Kopf")
    rules = RuleSet(
        3,
        [
            _rule(1, "regex", "kopf", "1010"),
            _rule(2, "exact", "Kopf", "1020"),
            _rule(3, "normalised", "kopf", "1021", device_id=7),
            _rule(4, "exact", "Kopf", "1022", priority=10),
        ],
    )
    assert rules.first_match(st).id == 3  # type: ignore[union-attr]
    assert rules.first_match(StudyText("CT", 9, "Kopf")).id == 4  # type: ignore[union-attr]


def test_bad_rules() -> None:
    with pytest.raises(ValueError, match="regular expression"):
        _rule(1, "regex", "([unclosed", "1010")
    with pytest.raises(ValueError, match="match"):
        _rule(1, "fuzzy", "x", "1010")
