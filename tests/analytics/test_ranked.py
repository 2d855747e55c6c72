"""Statistics from the sorted indexes of stat_values: hand-worked numbers, NumPy and the window path agree."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, case, delete, literal, text

from kerma.analytics.bands import Band, band_case, parse_band
from kerma.analytics.quantities import StatsFilter, V, values_query
from kerma.analytics.ranked import percentile, ranked_stats
from kerma.analytics.stats import group_stats, run
from kerma.store.schema.analytics import stat_values

np = pytest.importorskip("numpy")

CHILD = parse_band("1-<5 y")
ADULT = Band("adult", None, None, "adult")


def _study(engine: Engine) -> None:
    """The one study every value row points to (created once per database)."""
    with engine.begin() as conn:
        if conn.execute(text("SELECT count(*) FROM studies")).scalar_one():
            return
        conn.execute(
            text(
                "INSERT INTO patients (id, patient_key, is_phantom, created_at) "
                "VALUES (1, 'p1', :f, CURRENT_TIMESTAMP)"
            ),
            {"f": False},
        )
        conn.execute(
            text(
                "INSERT INTO studies (id, study_instance_uid, patient_id, is_phantom, event_count, "
                "created_at, updated_at) VALUES (1, 's1', 1, :f, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"f": False},
        )


def _load(engine: Engine, rows: list[dict[str, Any]]) -> None:
    with engine.begin() as conn:
        conn.execute(delete(stat_values))
        if rows:
            conn.execute(stat_values.insert(), rows)


def _row(
    code: str, device: int | None, value: float, month: int = 1, age: float | None = 40.0
) -> dict[str, Any]:
    return {
        "study_id": 1,
        "quantity": "dlp_mgy_cm",
        "per": "study",
        "exam_code": code,
        "device_id": device,
        "modality": "CT",
        "study_datetime": datetime(2025, month, 10, 9, 0),
        "month": 202500 + month,
        "patient_age_years": age,
        "patient_weight_kg": None,
        "value": value,
    }


def test_hand_worked_numbers_by_room_and_month(engine: Engine) -> None:
    _study(engine)
    # room 1: 400 500 600 700 -> median 550, Q1 475 (h = 0.75), Q3 625; sample variance 50000/3
    # room 2: a single value; room None (unknown): 100 and 300 -> median 200
    rows = [_row("1010", 1, v, month=1 + i // 2) for i, v in enumerate((700.0, 400.0, 600.0, 500.0))]
    rows += [_row("1010", 2, 1000.0), _row("1010", None, 300.0), _row("1010", None, 100.0)]
    _load(engine, rows)
    with engine.connect() as conn:
        by_room = {g.key["device_id"]: g for g in ranked_stats(conn, "dlp_mgy_cm", "study", StatsFilter())}
        by_month = {
            g.key["period"]: g for g in ranked_stats(conn, "dlp_mgy_cm", "study", StatsFilter(), by="month")
        }
    r1 = by_room[1]
    assert (r1.n, r1.median, r1.percentiles["q1"], r1.percentiles["q3"]) == (4, 550.0, 475.0, 625.0)
    assert (r1.mean, r1.min, r1.max, r1.key["period"], r1.key["band"]) == (550.0, 400.0, 700.0, "all", "all")
    assert r1.sd == pytest.approx((50000 / 3) ** 0.5, rel=1e-12)
    assert (by_room[2].n, by_room[2].median, by_room[2].sd) == (1, 1000.0, None)
    assert (by_room[None].n, by_room[None].median) == (2, 200.0)
    # January: 700 400 plus the three single-month rows (1000, 300, 100) -> 100 300 400 700 1000
    assert (by_month["2025-01"].n, by_month["2025-01"].median) == (5, 400.0)
    assert (by_month["2025-02"].n, by_month["2025-02"].median) == (2, 550.0)


def test_bands_first_match_wins_and_outsiders_drop_out(engine: Engine) -> None:
    _study(engine)
    # code 1010 has a child band and an adult band; a 12-year-old is in neither and drops out;
    # code 1030 has no bands: every value is in band 'all'.
    rows = [
        _row("1010", 1, 100.0, age=2.0),
        _row("1010", 1, 300.0, age=3.0),
        _row("1010", 1, 900.0, age=50.0),
    ]
    rows += [_row("1010", 1, 5000.0, age=12.0), _row("1010", 1, 700.0, age=None)]
    rows += [_row("1030", 1, 10.0, age=2.0), _row("1030", 1, 20.0, age=60.0)]
    _load(engine, rows)
    bands = {"1010": [CHILD, ADULT]}
    with engine.connect() as conn:
        got = {
            (g.key["exam_code"], g.key["band"]): g
            for g in ranked_stats(conn, "dlp_mgy_cm", "study", StatsFilter(), bands=bands)
        }
    assert set(got) == {("1010", CHILD.label), ("1010", "adult"), ("1030", "all")}
    assert (got[("1010", CHILD.label)].n, got[("1010", CHILD.label)].median) == (2, 200.0)
    assert (got[("1010", "adult")].n, got[("1010", "adult")].median) == (2, 800.0)  # unknown age: adult
    assert got[("1030", "all")].n == 2


def test_filters(engine: Engine) -> None:
    _study(engine)
    rows = [_row("1010", 1, float(v), month=m) for v, m in ((1, 1), (2, 2), (3, 3), (4, 4))]
    rows.append({**_row("1010", 1, 99.0), "modality": "DX"})
    _load(engine, rows)
    f = StatsFilter(modality=["CT"], date_from=datetime(2025, 2, 1), date_to=datetime(2025, 4, 1))
    with engine.connect() as conn:
        (g,) = ranked_stats(conn, "dlp_mgy_cm", "study", f)
    assert (g.n, g.min, g.max, g.median) == (2, 2.0, 3.0, 2.5)


def test_percentile_of_a_few_numbers() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.75) == 3.25
    assert percentile([7.0], 0.5) == 7.0
    values = [0.3, 1.7, 2.2, 9.5, 11.0, 40.0]
    for p in (0.1, 0.25, 0.5, 0.75, 0.9):
        assert percentile(values, p) == np.percentile(values, p * 100)


row_st = st.tuples(
    st.sampled_from(["1010", "1030"]),
    st.sampled_from([1, 2, None]),
    st.integers(min_value=1, max_value=3),
    st.one_of(st.none(), st.floats(min_value=0, max_value=90)),
    st.one_of(st.just(0.0), st.floats(min_value=1e-6, max_value=1e5, allow_nan=False, allow_infinity=False)),
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(row_st, min_size=1, max_size=60))
def test_same_numbers_as_window_functions_and_numpy(engine: Engine, rows: list[tuple[Any, ...]]) -> None:
    _study(engine)
    _load(engine, [_row(c, d, v, month=m, age=a) for c, d, m, a, v in rows])
    bands = {"1010": [CHILD, ADULT]}
    band = case(
        (
            V.exam_code.in_(list(bands)),
            band_case(bands, V.exam_code, V.patient_age_years, V.patient_weight_kg),
        ),
        else_=literal("all"),
    )
    keys = ["exam_code", "device_id", "period", "band"]
    with engine.connect() as conn:
        fast = {
            tuple(g.key[k] for k in keys): g
            for g in ranked_stats(conn, "dlp_mgy_cm", "study", StatsFilter(), bands=bands)
        }
        window = {
            tuple(g.key[k] for k in keys): g
            for g in run(
                conn, group_stats(values_query("dlp_mgy_cm", "study", StatsFilter(), "all", band), keys), keys
            )
        }
    assert fast.keys() == window.keys()
    for key, g in fast.items():
        w = window[key]
        assert (g.n, g.min, g.max) == (w.n, w.min, w.max)
        assert g.percentiles == w.percentiles
        assert g.mean == pytest.approx(w.mean, rel=1e-12)
        code, device, _, label = key
        ref = sorted(v for c, d, _, a, v in rows if c == code and d == device and _band_of(c, a) == label)
        assert [g.percentiles[n] for n in ("q1", "median", "q3")] == list(np.percentile(ref, [25, 50, 75]))


def _band_of(code: str, age: float | None) -> str | None:
    if code != "1010":
        return "all"
    if age is not None and 1.0 <= age < 5.0:
        return CHILD.label
    if age is None or age >= 18.0:
        return "adult"
    return None


def test_period_unit_is_part_of_the_compiled_statement(engine: Engine) -> None:
    # SQLAlchemy caches compiled SQL by statement shape: 'month' must not reuse what 'all' compiled to
    _study(engine)
    _load(engine, [_row("1010", 1, 1.0, month=1), _row("1010", 1, 2.0, month=2)])
    with engine.connect() as conn:
        labels = {
            unit: sorted(
                {r.period for r in conn.execute(values_query("dlp_mgy_cm", "study", StatsFilter(), unit))}
            )
            for unit in ("all", "month", "year")
        }
    assert labels == {"all": ["all"], "month": ["2025-01", "2025-02"], "year": ["2025"]}
