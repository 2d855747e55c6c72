"""Group statistics in SQL: numbers worked out by hand and NumPy's on random data, SQLite and PostgreSQL."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, DateTime, Engine, Float, MetaData, String, Table, create_engine, delete, select

from kerma.analytics.sqlfuncs import period_label
from kerma.analytics.stats import group_stats, run
from kerma.store.db import make_engine

np = pytest.importorskip("numpy")

md = MetaData()
vals = Table("t_vals", md, Column("g", String(8)), Column("value", Float), Column("at", DateTime))
PCT = {"q1": 0.25, "median": 0.5, "q3": 0.75, "p95": 0.95}


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    md.create_all(eng)
    yield eng
    eng.dispose()


def _stats(engine: Engine, rows: list[dict[str, object]], pct: dict[str, float] | None = None):  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        conn.execute(delete(vals))
        if rows:
            conn.execute(vals.insert(), rows)
        stmt = group_stats(select(vals.c.g, vals.c.value), ["g"], percentiles=pct)
        return {s.key["g"]: s for s in run(conn, stmt, ["g"], pct)}


def test_hand_worked_numbers(engine: Engine) -> None:
    # a: 1 2 3 4 -> h = 3p: Q1 at h=0.75 -> 1 + 0.75 = 1.75; median h=1.5 -> 2.5; Q3 h=2.25 -> 3.25
    # mean 2.5, sample variance ((1.5^2 + 0.5^2) * 2) / 3 = 5/3; QCD (3.25 - 1.75) / (3.25 + 1.75) = 0.3
    # b: a single value (n = 1): every percentile is it, no standard deviation
    # c: 10 20 30 (unsorted on purpose): median 20, Q1 15, Q3 25
    rows = [{"g": "a", "value": v} for v in (4.0, 1.0, 3.0, 2.0)]
    rows += [{"g": "b", "value": 7.5}, {"g": "c", "value": 30.0}, {"g": "c", "value": 10.0}]
    rows += [{"g": "c", "value": 20.0}, {"g": "c", "value": None}, {"g": "d", "value": None}]
    s = _stats(engine, rows)
    a, b, c = s["a"], s["b"], s["c"]
    assert (a.n, a.percentiles["q1"], a.median, a.percentiles["q3"]) == (4, 1.75, 2.5, 3.25)
    assert a.mean == 2.5 and a.min == 1.0 and a.max == 4.0
    assert a.sd == pytest.approx(math.sqrt(5 / 3), rel=1e-12)
    assert a.qcd == pytest.approx(0.3, rel=1e-12)
    assert (b.n, b.median, b.percentiles["q1"], b.percentiles["q3"], b.sd) == (1, 7.5, 7.5, 7.5, None)
    assert (c.n, c.median, c.percentiles["q1"], c.percentiles["q3"]) == (3, 20.0, 15.0, 25.0)
    assert "d" not in s  # a group with no values has no statistics


def test_ties_and_p95(engine: Engine) -> None:
    # 5 values 1 1 1 1 9: h(0.95) = 3.8 -> 1 + 0.8 * (9 - 1) = 7.4; median 1
    s = _stats(engine, [{"g": "a", "value": v} for v in (1.0, 9.0, 1.0, 1.0, 1.0)], PCT)["a"]
    assert s.median == 1.0
    assert s.percentiles["p95"] == pytest.approx(7.4, rel=1e-12)
    assert s.percentiles["p95"] == np.percentile([1, 1, 1, 1, 9], 95)


# Doses are 0 or at least micro-units; sub-1e-30 magnitudes are zeroed by the SQL (underflow guard).
values_st = st.lists(
    st.one_of(st.just(0.0), st.floats(min_value=1e-9, max_value=1e5, allow_nan=False, allow_infinity=False)),
    min_size=1,
    max_size=40,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(groups=st.dictionaries(st.sampled_from(["x", "y", "z"]), values_st, min_size=1, max_size=3))
def test_matches_numpy(engine: Engine, groups: dict[str, list[float]]) -> None:
    rows = [{"g": g, "value": v} for g, vs in groups.items() for v in vs]
    got = _stats(engine, rows, PCT)
    assert set(got) == set(groups)
    for g, vs in groups.items():
        arr = np.array(vs)
        s = got[g]
        assert s.n == len(vs)
        # order statistics: the same arithmetic as NumPy's 'linear' method, so equal to the last bit
        expected = np.percentile(arr, [25, 50, 75, 95])
        assert [s.percentiles[k] for k in ("q1", "median", "q3", "p95")] == list(expected)
        assert (s.min, s.max) == (arr.min(), arr.max())
        assert s.mean == pytest.approx(arr.mean(), rel=1e-12, abs=1e-9)
        if len(vs) > 1:
            assert s.sd == pytest.approx(arr.std(ddof=1), rel=1e-9, abs=1e-6)


def test_denormal_values_do_not_break_the_query(engine: Engine) -> None:
    # PostgreSQL raises on floating-point underflow; corrupt tiny values must not fail a compliance page.
    got = _stats(engine, [{"g": "x", "value": v} for v in (5e-324, 1e-200, 2.0, 4.0)], PCT)
    assert got["x"].n == 4 and got["x"].max == 4.0 and got["x"].min == 0.0


def test_same_numbers_on_both_engines(tmp_path, _pg_ok: bool) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import drop_pg_database, make_pg_database

    if not _pg_ok:
        pytest.skip("PostgreSQL not reachable")
    rng = np.random.default_rng(7)
    rows = [
        {"g": g, "value": float(v)}
        for g in "abc"
        for v in rng.lognormal(5, 1, size=int(rng.integers(1, 300)))
    ]
    pg_url = make_pg_database()
    try:
        results = []
        for url in (f"sqlite:///{tmp_path / 'x.db'}", pg_url):
            eng = make_engine(url)
            md.create_all(eng)
            results.append(_stats(eng, rows, PCT))
            eng.dispose()
    finally:
        drop_pg_database(pg_url)
    lite, pg = results
    for g in lite:
        assert lite[g].percentiles == pg[g].percentiles
        assert (lite[g].n, lite[g].min, lite[g].max) == (pg[g].n, pg[g].min, pg[g].max)
        assert lite[g].mean == pytest.approx(pg[g].mean, rel=1e-13)


def test_period_labels(db_url: str) -> None:
    eng = make_engine(db_url)
    md.create_all(eng)
    with eng.begin() as conn:
        conn.execute(vals.insert(), [{"g": "a", "value": 1.0, "at": datetime(2025, 2, 28, 23, 59)}])
        row = conn.execute(
            select(*[period_label(vals.c.at, u).label(u) for u in ("month", "quarter", "year", "all")])
        ).one()
    eng.dispose()
    assert tuple(row) == ("2025-02", "2025-Q1", "2025", "all")
    with pytest.raises(ValueError):
        period_label(vals.c.at, "week")


def test_sqlite_without_floor_function() -> None:
    # SQLite builds without math functions have no floor(): the CAST form is what runs there
    from kerma.analytics.sqlfuncs import floor_nonneg

    eng = create_engine("sqlite://")
    sql = str(select(floor_nonneg(vals.c.value)).compile(eng))
    assert "CAST(t_vals.value AS INTEGER)" in sql and "FLOOR(" not in sql
