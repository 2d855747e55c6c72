"""Patient bands as DRL tables write them."""

from __future__ import annotations

import pytest

from kerma.analytics.bands import parse_band


@pytest.mark.parametrize(
    ("text", "kind", "lo", "hi"),
    [
        ("adult", "adult", None, None),
        ("", "adult", None, None),
        ("0-<3 months", "age", 0.0, 0.25),
        ("3 months-<1 y", "age", 0.25, 1.0),
        ("1-<6 y", "age", 1.0, 6.0),
        (">=6 y", "age", 6.0, None),
        ("<5 kg", "weight", None, 5.0),
        ("5-<15 kg", "weight", 5.0, 15.0),
        ("6-18 y", "age", 6.0, 18.0),
    ],
)
def test_parse_band(text: str, kind: str, lo: float | None, hi: float | None) -> None:
    b = parse_band(text)
    assert (b.kind, b.min, b.max) == (kind, lo, hi)


def test_bad_band() -> None:
    with pytest.raises(ValueError, match="patient band"):
        parse_band("small children")
