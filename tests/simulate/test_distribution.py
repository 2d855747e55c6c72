"""Doses are log-normal-ish around typical medians, rooms differ a little, and a few studies are outliers.

Read from the ground truth, which test_rdsr_content and test_images check against the files.
"""

from __future__ import annotations

import math
from statistics import fmean, median, pstdev

from kerma.simulate import TruthRow
from tests.simulate.helpers import Simulated


def _values(rows: list[TruthRow], exam: str, column: str, typical: bool = False) -> list[float]:
    """Values of adults (and, when ``typical``, without the planted outliers)."""
    return [
        float(getattr(row, column))
        for row in rows
        if row.exam_key == exam and getattr(row, column) and not row.child and not (typical and row.outlier)
    ]


def _skew(values: list[float]) -> float:
    mean, spread = fmean(values), pstdev(values)
    return fmean([((v - mean) / spread) ** 3 for v in values])


def test_medians_are_typical(simulated: Simulated) -> None:
    rows = simulated.rows
    ranges = [
        ("ct-head", "main_ctdivol_mgy", 40.0, 70.0),
        ("ct-head", "total_dlp_mgy_cm", 600.0, 1100.0),
        ("ct-chest", "main_ctdivol_mgy", 5.0, 12.0),
        ("ct-chest", "total_dlp_mgy_cm", 150.0, 450.0),
        ("ct-abdomen-pelvis", "total_dlp_mgy_cm", 350.0, 800.0),
        ("xr-chest-pa", "total_dap_gy_cm2", 0.05, 0.2),
        ("xr-lumbar-spine", "total_dap_gy_cm2", 1.0, 3.5),
        ("mg-screening", "agd_left_mgy", 2.0, 4.0),
        ("xa-coro", "total_dap_gy_cm2", 15.0, 60.0),
        ("xa-coro", "total_kar_mgy", 200.0, 900.0),
        ("rf-ercp", "total_dap_gy_cm2", 5.0, 30.0),
    ]
    for exam, column, low, high in ranges:
        values = _values(rows, exam, column)
        assert len(values) >= 10, exam
        assert low <= median(values) <= high, (exam, column, median(values))
    assert median(_values(rows, "xa-pci", "total_dap_gy_cm2")) > median(
        _values(rows, "xa-coro", "total_dap_gy_cm2")
    )


def test_doses_are_log_normal_ish(simulated: Simulated) -> None:
    for exam, column in (
        ("ct-head", "main_ctdivol_mgy"),
        ("xr-chest-pa", "total_dap_gy_cm2"),
        ("ct-abdomen-pelvis", "total_dlp_mgy_cm"),
    ):
        values = _values(simulated.rows, exam, column, typical=True)
        logs = [math.log(v) for v in values]
        # right-skewed on a linear scale, about symmetric on a log scale
        assert fmean(values) > median(values), exam
        assert _skew(values) > _skew(logs), exam
        assert abs(_skew(logs)) < 1.0, exam


def test_rooms_differ_a_little(simulated: Simulated) -> None:
    by_room: dict[str, list[float]] = {}
    for row in simulated.rows:
        if row.exam_key == "xr-chest-pa" and not row.child and row.total_dap_gy_cm2:
            by_room.setdefault(row.room, []).append(float(row.total_dap_gy_cm2))
    medians = [median(v) for v in by_room.values() if len(v) >= 8]
    assert len(medians) >= 3
    assert 1.1 < max(medians) / min(medians) < 3.0


def test_children_get_less_and_outliers_are_rare(simulated: Simulated) -> None:
    rows = simulated.rows
    adults = _values(rows, "ct-head", "main_ctdivol_mgy")
    children = [float(r.main_ctdivol_mgy) for r in rows if r.exam_key == "ct-head" and r.child]
    assert children and median(children) < median(adults)
    outliers = [row for row in rows if row.outlier]
    assert 0.002 * len(rows) <= len(outliers) <= 0.03 * len(rows)
