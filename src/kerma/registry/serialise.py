"""The analysis as plain JSON-ready dicts (CLI `--json` and the REST API)."""

from __future__ import annotations

import dataclasses
from typing import Any

from kerma.registry.analysis import Analysis, Clustering, ExamResult
from kerma.registry.drlref import Reference


def _ref(r: Reference | None) -> dict[str, Any] | None:
    return dataclasses.asdict(r) if r is not None else None


def exam_dict(e: ExamResult, with_facilities: bool = True) -> dict[str, Any]:
    """One exam result."""
    d: dict[str, Any] = {
        "year": e.year,
        "exam_code": e.exam_code,
        "exam_name": e.exam_name,
        "quantity": e.quantity,
        "n_facilities": e.n_facilities,
        "n_exams": e.n_exams,
        "p25": e.p25,
        "achievable": e.achievable,
        "proposed_drl": e.proposed_drl,
        "p75_of_means": e.p75_of_means,
        "current_drl": _ref(e.current),
        "ratio_to_current": e.ratio_to_current,
        "share_exams_above_drl": e.share_exams_above_drl,
        "share_facilities_above_drl": e.share_facilities_above_drl,
        "other_countries": [_ref(r) for r in e.others],
        "valid": e.valid,
    }
    if with_facilities:
        d["facility_medians"] = [dataclasses.asdict(f) for f in e.facilities]
    return d


def clustering_dict(c: Clustering | None) -> dict[str, Any] | None:
    """A clustering result."""
    return dataclasses.asdict(c) if c is not None else None


def analysis_dict(a: Analysis, with_facilities: bool = True) -> dict[str, Any]:
    """The whole analysis."""
    return {
        "years": a.years,
        "counts": a.counts,
        "outlier_factor": a.outlier_factor,
        "z_limit": a.z_limit,
        "exams": [exam_dict(e, with_facilities) for e in a.exams],
        "heatmap": [
            {"exam_code": code, "quantity": q, "year": y, "share_above_drl": share}
            for (code, q), by_year in sorted(a.heatmap.items())
            for y, share in sorted(by_year.items())
        ],
        "outliers": [dataclasses.asdict(o) for o in a.outliers],
        "exam_clusters": clustering_dict(a.exam_clusters),
        "source_clusters": clustering_dict(a.source_clusters),
        "source_qcd": a.source_qcd,
    }
