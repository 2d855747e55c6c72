"""Clustering for the registry analysis (scikit-learn k-means).

Exam codes are clustered by where their dose sits against the DRL in force: log10(median of facility
medians / DRL) and log10(P75 / P25) of the facility medians (spread). Data sources (a facility's data
of one origin) are clustered by their quartile coefficient of dispersion: the median and the largest
QCD over their exams. Features are standardised; the number of clusters k = 2..6 is the one with the
highest mean silhouette coefficient (stated as the criterion in the result); with fewer than four
items there is nothing to cluster and the result says so.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.cluster import KMeans  # type: ignore[import-untyped]
from sklearn.metrics import silhouette_score  # type: ignore[import-untyped]
from sklearn.preprocessing import StandardScaler  # type: ignore[import-untyped]
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

if TYPE_CHECKING:
    from kerma.registry.analysis import Clustering, ExamResult

CRITERION = "highest mean silhouette coefficient over k = 2..6"
SEED = 0


def _kmeans(what: str, names: list[str], feats: list[list[float]], feature_names: list[str]) -> Clustering:
    from kerma.registry.analysis import Cluster, Clustering

    if len(names) < 4:
        return Clustering(
            what, feature_names, 0, CRITERION, None, [], note=f"only {len(names)} items: not clustered"
        )
    x = np.asarray(feats, dtype=float)
    scaled = StandardScaler().fit_transform(x) if np.ptp(x, axis=0).all() else x - x.mean(axis=0)
    best: tuple[float, int, Any] | None = None
    # A few hundred points: one thread is faster than starting a pool for each of the fits.
    with threadpool_limits(1):
        for k in range(2, min(6, len(names) - 1) + 1):
            km = KMeans(n_clusters=k, n_init=10, random_state=SEED).fit(scaled)
            if len(set(km.labels_)) < 2:
                continue
            score = float(silhouette_score(scaled, km.labels_))
            if best is None or score > best[0]:
                best = (score, k, km)
    if best is None:
        return Clustering(what, feature_names, 1, CRITERION, None, [], note="all items alike: one group")
    score, k, km = best
    clusters = []
    for label in range(k):
        idx = [i for i, lab in enumerate(km.labels_) if lab == label]
        centre = x[idx].mean(axis=0).tolist()
        clusters.append(Cluster(label, sorted(names[i] for i in idx), [round(c, 4) for c in centre]))
    clusters.sort(key=lambda c: c.centre)
    points = {n: [round(float(v), 4) for v in row] for n, row in zip(names, feats, strict=True)}
    return Clustering(what, feature_names, k, CRITERION, round(score, 3), clusters, points=points)


def cluster_exams(exams: Sequence[ExamResult]) -> Clustering:
    """Exam codes (code/quantity, latest year) by log median/DRL and spread of facility medians."""
    latest: dict[tuple[str, str], ExamResult] = {}
    for e in exams:
        if e.current is None or e.p25 <= 0:
            continue
        k = (e.exam_code, e.quantity)
        if k not in latest or e.year > latest[k].year:
            latest[k] = e
    names = [f"{c} {q}" for c, q in latest]
    feats = [
        [math.log10(e.achievable / e.current.value), math.log10(e.proposed_drl / e.p25)]  # type: ignore[union-attr]
        for e in latest.values()
    ]
    return _kmeans("exam codes", names, feats, ["log10(median / DRL)", "log10(P75 / P25)"])


def cluster_sources(groups: Sequence[Any], label: Callable[[dict[str, Any]], str]) -> Clustering:
    """Data sources by the median and largest QCD of their exams (groups of at least 4 exams)."""
    by_source: dict[str, list[float]] = defaultdict(list)
    for g in groups:
        if g.n >= 4 and g.qcd is not None:
            by_source[label(g.key)].append(float(g.qcd))
    names = sorted(by_source)
    feats = [[statistics.median(by_source[n]), max(by_source[n])] for n in names]
    return _kmeans("data sources", names, feats, ["median QCD", "largest QCD"])
