"""Statistics and charts: the numbers behind every chart, on SQLite and PostgreSQL, and their SVG/CSV."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kerma.web.charts import svg
from kerma.web.data import stats
from kerma.web.data.studies import StudyFilter
from tests.web.conftest import Site
from tests.web.seed import CT1_DLP, CT2_DLP, DX_DAP, MG_AGD, START


def seed_times() -> dict[str, list]:  # type: ignore[type-arg]
    """Study times of the seed per modality, worked out from its definition (not from the database)."""
    return {
        "CT": [START + timedelta(days=3 * i, hours=i % 5) for i in range(len(CT1_DLP))]
        + [START + timedelta(days=7 * i + 1) for i in range(len(CT2_DLP))],
        "DX": [START + timedelta(days=5 * i + 2, hours=2) for i in range(len(DX_DAP))],
        "MG": [START + timedelta(days=10 * i + 3) for i in range(len(MG_AGD))],
    }


def test_quantiles_and_box_by_hand() -> None:
    v = sorted(CT1_DLP)  # 100..1000
    # type-7 quantile: position (n-1)p = 2.25 -> 300 + 0.25 * 100
    assert stats.quantile(v, 0.25) == 325.0
    assert stats.quantile(v, 0.5) == 550.0
    b = stats.box_stats("CT1", [*CT1_DLP, 10_000.0])
    assert b.outliers == 1 and b.high == 1000.0 and b.n == 11
    assert stats.histogram([0, 1, 1.5, 2, 9, 10, 11], [0, 5, 10]) == [4, 2]
    assert stats.nice_step(0.23) == 0.25 and stats.nice_step(730) == 1000


@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=200))
def test_box_is_ordered(values: list[float]) -> None:
    b = stats.box_stats("r", values)
    assert (
        b.low <= b.q1 + 1e-6 and b.q1 <= b.median + 1e-6 and b.median <= b.q3 + 1e-6 and b.q3 <= b.high + 1e-6
    )


def test_weekly_counts_and_heatmap(site: Site) -> None:
    times = seed_times()
    got = stats.weekly_counts(site.engine, StudyFilter())
    want: Counter[tuple[object, str]] = Counter()
    for mod, ts in times.items():
        for t in ts:
            want[(t.date() - timedelta(days=t.weekday()), mod)] += 1
    assert {(d, m): n for d, m, n in got} == dict(want)
    grid = stats.heatmap(site.engine, StudyFilter(modality=("CT",)))
    want_grid = [[0] * 24 for _ in range(7)]
    for t in times["CT"]:
        want_grid[t.weekday()][t.hour] += 1
    assert grid == want_grid


def test_room_statistics_against_the_seed(site: Site) -> None:
    f = StudyFilter(modality=("CT",))
    values, total, thinned = stats.room_values(site.engine, f, "total_dlp_mgy_cm", with_day=True)
    names = stats.room_names(site.engine)
    assert total == len(CT1_DLP) + len(CT2_DLP) and not thinned
    per_room = {names[d]: sorted(x for _, x in pts) for d, pts in values.items()}
    assert per_room == {"CT1": CT1_DLP, "CT2": CT2_DLP}
    boxes = {b.name: b for b in stats.room_boxes(site.engine, f, "total_dlp_mgy_cm", min_n=3)}
    assert boxes["CT1"].median == 550.0 and boxes["CT1"].q1 == 325.0 and boxes["CT1"].q3 == 775.0
    assert boxes["CT2"].median == 375.0 and boxes["CT2"].n == 4
    # CT2: one study a week on Tuesdays -> four weekly medians equal to its values
    series = stats.room_median_series(site.engine, f, "total_dlp_mgy_cm", monthly=False, min_n=1)
    assert [m for _, m, _ in series["CT2"]] == CT2_DLP
    edges, groups = stats.room_histograms(site.engine, StudyFilter(modality=("DX",)), "total_dap_gy_cm2")
    assert edges[0] == 0 and sum(groups[0][1]) == len(DX_DAP)
    points, n = stats.size_sample(site.engine, f, "total_dlp_mgy_cm")
    assert n == len(points) == total


@pytest.mark.parametrize("chart", ["weekly", "trend", "boxplot", "histogram", "drl", "heatmap", "scatter"])
def test_chart_api_json_csv_svg(site: Site, chart: str) -> None:
    c = site.client("viewer")
    params = {"modality": "CT", "from": "2025-01-01", "to": "2025-03-31"}
    data = c.get(f"/api/stats/{chart}", params=params).json()
    assert data["name"] == chart and data["columns"]
    if chart != "drl":
        assert data["rows"], data
    text = c.get(f"/api/stats/{chart}", params={**params, "format": "csv"}).text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == data["columns"] and len(rows) == len(data["rows"]) + 1
    body = c.get(f"/api/stats/{chart}", params={**params, "format": "svg"})
    assert body.headers["content-type"].startswith("image/svg+xml")
    ElementTree.fromstring(body.text)  # well-formed XML


def test_boxplot_numbers_through_the_api(site: Site) -> None:
    data = (
        site.client("viewer")
        .get("/api/stats/boxplot", params={"modality": "CT", "from": "2025-01-01"})
        .json()
    )
    rows = {r[0]: dict(zip(data["columns"], r, strict=True)) for r in data["rows"]}
    assert rows["CT1"]["median"] == 550.0 and rows["CT1"]["q1"] == 325.0 and rows["CT1"]["studies"] == 10


def test_empty_charts_explain_themselves(site: Site) -> None:
    c = site.client("viewer")
    data = c.get(
        "/api/stats/trend", params={"modality": "CT", "from": "2030-01-01", "to": "2030-02-01"}
    ).json()
    assert data["rows"] == [] and "No studies" in data["empty"]
    page = c.get("/charts", params={"modality": "CT", "from": "2030-01-01", "to": "2030-02-01"}).text
    assert "No studies with a DLP match these filters" in page
    assert c.get("/charts", params={"chart": "nonsense"}).status_code == 200
    assert c.get("/api/stats/nonsense").status_code == 422


def test_chart_defaults_follow_the_data(site: Site) -> None:
    # no dates given: the 12 months up to the newest study (2025), not the calendar year of today
    data = site.client("viewer").get("/api/stats/boxplot").json()
    assert "CT" in data["note"] and "2025" in data["note"]
    assert {r[0] for r in data["rows"]} == {"CT1"}  # CT2 has 4 studies: fewer than a box needs


def test_svg_escapes_data_text() -> None:
    out = svg.box_plot([stats.box_stats("<script>x</script>", [1.0, 2.0, 3.0])], "DLP", "t & <b>")
    assert "<script>" not in out and "&lt;script&gt;" in out
    ElementTree.fromstring(out)
    line = svg.line_chart({"a<b": [(START.date(), 1.0), (START.date() + timedelta(days=9), 2.0)]}, "y", "t")
    assert "a&lt;b" in line
    ElementTree.fromstring(line)


def test_large_selections_are_thinned_evenly(site: Site) -> None:
    f = StudyFilter(modality=("CT",))
    values, total, thinned = stats.room_values(site.engine, f, "total_dlp_mgy_cm", limit=5)
    n = sum(len(v) for v in values.values())
    assert thinned and total == len(CT1_DLP) + len(CT2_DLP) and 0 < n <= total


def test_database_and_python_statistics_agree(site: Site) -> None:
    """PostgreSQL computes quartiles and histograms itself; they must equal the Python computation."""
    if site.engine.dialect.name != "postgresql":
        pytest.skip("the database path is PostgreSQL's")
    for mod, q in (("CT", "total_dlp_mgy_cm"), ("DX", "total_dap_gy_cm2"), ("MG", "total_agd_mgy")):
        f = StudyFilter(modality=(mod,))
        values, _, _ = stats.room_values(site.engine, f, q)
        names = stats.room_names(site.engine)
        by_python = {names[d]: stats.box_stats(names[d], [x for _, x in pts]) for d, pts in values.items()}
        for b in stats.room_boxes(site.engine, f, q, min_n=1):
            p = by_python[b.name]
            assert (b.n, b.q1, b.median, b.q3, b.low, b.high, b.outliers) == pytest.approx(
                (p.n, p.q1, p.median, p.q3, p.low, p.high, p.outliers), rel=1e-5
            )
        edges, groups = stats.room_histograms(site.engine, f, q)
        per_name = {names[d]: [x for _, x in pts] for d, pts in values.items()}
        for name, counts in groups:
            assert counts == stats.histogram(per_name[name], edges)
