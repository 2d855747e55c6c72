"""The study-total rule: supersets replace, disjoint reports add up, RDSR outranks headers."""

from __future__ import annotations

from datetime import datetime

import pytest

from kerma.domain.model import DoseSource
from kerma.domain.totals import Totals, combine, summarise
from tests.factories import ct_event, ct_rdsr, header_event


def test_cumulative_rdsr_resent_counts_once() -> None:
    # Scanner resends a growing RDSR: 1, 2, then 3 events; only the last counts.
    e = [ct_event(f"E{i}", d) for i, d in enumerate([7.46, 69.81, 158.82])]
    objs = [
        summarise(
            ct_rdsr(
                f"S{n}",
                "ST",
                e[:n],
                sum(x.dlp_mgy_cm or 0 for x in e[:n]),
                content=datetime(2025, 1, 1, 10, n),
            ),
            n,
        )
        for n in (1, 2, 3)
    ]
    res = combine(objs)
    assert res.counted_objects == ["S3"]
    assert sorted(res.superseded_objects) == ["S1", "S2"]
    assert res.totals.total_dlp_mgy_cm == pytest.approx(236.09)
    assert res.counted_event_keys == {"E0", "E1", "E2"}


def test_disjoint_rdsrs_add_up() -> None:
    a = summarise(ct_rdsr("A", "ST", [ct_event("E1", 30.0), ct_event("E2", 30.17)], 60.17), 1)
    b = summarise(ct_rdsr("B", "ST", [ct_event("E3", 56.44)], 56.44), 2)
    res = combine([a, b])
    assert sorted(res.counted_objects) == ["A", "B"]
    assert res.totals.total_dlp_mgy_cm == pytest.approx(116.61)


def test_reported_total_wins_and_disagreement_is_flagged() -> None:
    a = summarise(ct_rdsr("A", "ST", [ct_event("E1", 10.0)], 25.0), 1)
    res = combine([a])
    assert res.totals.total_dlp_mgy_cm == 25.0
    assert any("differs from the sum of its events" in f for f in res.flags)


def test_missing_reported_total_falls_back_to_events_and_missing_dlp_is_not_zero() -> None:
    a = summarise(ct_rdsr("A", "ST", [ct_event("E1", 12.0), ct_event("LOC", None, None)], None), 1)
    res = combine([a])
    assert res.totals.total_dlp_mgy_cm == 12.0


def test_partially_overlapping_rdsrs_use_unique_events_and_flag() -> None:
    a = summarise(ct_rdsr("A", "ST", [ct_event("E1", 10.0), ct_event("E2", 20.0)], 30.0), 1)
    b = summarise(ct_rdsr("B", "ST", [ct_event("E2", 20.0), ct_event("E3", 5.0)], 25.0), 2)
    res = combine([a, b])
    assert res.totals.total_dlp_mgy_cm == pytest.approx(35.0)
    assert res.flags


def test_rdsr_outranks_header_of_same_device() -> None:
    rd = summarise(ct_rdsr("R", "ST", [ct_event("E1", 100.0)], 100.0), 1)
    hd = summarise(ct_rdsr("H", "ST", [ct_event("E1", None, 10.0)], None, source=DoseSource.HEADER), 2)
    res = combine([hd, rd])
    assert res.counted_objects == ["R"]
    assert res.outranked_objects == ["H"]
    assert res.dose_source is DoseSource.RDSR


def test_same_exposure_as_two_images_counts_once() -> None:
    a = summarise(header_event("IMG1", "ST", "hdr:x", 1.5), 1)
    b = summarise(header_event("IMG2", "ST", "hdr:x", 1.5), 2)
    c = summarise(header_event("IMG3", "ST", "hdr:y", 2.0), 3)
    res = combine([a, b, c])
    assert res.totals.total_dap_gy_cm2 == pytest.approx(3.5)
    assert res.counted_event_keys == {"hdr:x", "hdr:y"}


def test_totals_add_keeps_none_where_nothing_reported() -> None:
    t = Totals(total_dlp_mgy_cm=1.0).add(Totals(total_dap_gy_cm2=2.0))
    assert t.total_dlp_mgy_cm == 1.0 and t.total_dap_gy_cm2 == 2.0 and t.total_kar_mgy is None


def test_one_injection_reported_by_rrdsr_and_pet_images_counts_once() -> None:
    from kerma.domain.model import Administration, DoseReport, ReportKind, StudyInfo

    def nm(sop: str, source: DoseSource, key: str) -> DoseReport:
        return DoseReport(
            source=source,
            sop_instance_uid=sop,
            sop_class_uid="x",
            study=StudyInfo("ST", modality="PT"),
            kind=ReportKind.RADIOPHARMACEUTICAL,
            administrations=[Administration(key, activity_mbq=394.0)],
        )

    objs = [
        summarise(nm("PET1", DoseSource.HEADER, "hdr-nm:1"), 1),
        summarise(nm("PET2", DoseSource.HEADER, "hdr-nm:1"), 2),
        summarise(nm("RR", DoseSource.RDSR, "2.25.9"), 3),
        summarise(ct_rdsr("CT", "ST", [ct_event("E1", 667.72)], 667.72), 4),
    ]
    res = combine(objs)
    assert res.totals.administered_activity_mbq == pytest.approx(394.0)
    assert res.totals.total_dlp_mgy_cm == pytest.approx(667.72)
    assert sorted(res.counted_objects) == ["CT", "RR"]
    assert sorted(res.outranked_objects) == ["PET1", "PET2"]


def test_header_images_alone_count_each_injection_once() -> None:
    from kerma.domain.model import Administration, DoseReport, ReportKind, StudyInfo

    reps = [
        DoseReport(
            source=DoseSource.HEADER,
            sop_instance_uid=f"I{i}",
            sop_class_uid="x",
            study=StudyInfo("ST", modality="NM"),
            kind=ReportKind.RADIOPHARMACEUTICAL,
            administrations=[Administration("inj", activity_mbq=320.0)],
        )
        for i in range(3)
    ]
    assert combine([summarise(r, i) for i, r in enumerate(reps)]).totals.administered_activity_mbq == 320.0


def test_summary_only_report_counts_its_reported_totals() -> None:
    from kerma.domain.model import AccumulatedDose, DoseReport, ReportKind, StudyInfo

    rep = DoseReport(
        source=DoseSource.RDSR,
        sop_instance_uid="V",
        sop_class_uid="x",
        study=StudyInfo("ST", modality="RF"),
        kind=ReportKind.PROJECTION,
        accumulated=[AccumulatedDose(dap_total_gy_cm2=1.92, fluoro_time_total_s=34.0)],
    )
    res = combine([summarise(rep, 1)])
    assert res.counted_objects == ["V"]
    assert res.totals.total_dap_gy_cm2 == 1.92 and res.totals.total_fluoro_time_s == 34.0
