"""What a pull fetches: planning from C-FIND answers, date windows, modality filter (pure functions)."""

from __future__ import annotations

from datetime import date

from kerma.net.qr import InstanceHit, SeriesHit, StudyHit, day_windows, plan_study, wanted_study

RDSR = "1.2.840.10008.5.1.4.1.1.88.67"
RRDSR = "1.2.840.10008.5.1.4.1.1.88.68"
COMPREHENSIVE = "1.2.840.10008.5.1.4.1.1.88.33"
KOS = "1.2.840.10008.5.1.4.1.1.88.59"
CT = "1.2.840.10008.5.1.4.1.1.2"


def lookup(table: dict[str, list[InstanceHit]]):  # type: ignore[no-untyped-def]
    asked: list[str] = []

    def instances(s: SeriesHit) -> list[InstanceHit]:
        asked.append(s.series_instance_uid)
        return table.get(s.series_instance_uid, [])

    return instances, asked


def test_study_with_rdsr_fetches_only_dose_reports() -> None:
    series = [SeriesHit("s-ct", "CT", 300), SeriesHit("s-sr", "SR", 2), SeriesHit("s-ko", "KO", 1)]
    instances, asked = lookup(
        {
            "s-sr": [InstanceHit("sr-1", RDSR, 1), InstanceHit("report", KOS, 2)],
            "s-ct": [InstanceHit("ct-1", CT, 1)],
        }
    )
    targets = plan_study(series, instances)
    assert [(t.series_instance_uid, t.sop_instance_uids, t.reason) for t in targets] == [
        ("s-sr", ["sr-1"], "dose report")
    ]
    assert asked == ["s-sr"]  # no image-level query for the image series


def test_study_without_rdsr_fetches_first_image_of_each_dose_series() -> None:
    series = [
        SeriesHit("s-ct1", "CT"),
        SeriesHit("s-ct2", "CT"),
        SeriesHit("s-mr", "MR"),
        SeriesHit("s-sr", "SR"),
    ]
    instances, _ = lookup(
        {
            "s-ct1": [InstanceHit("c", CT, 3), InstanceHit("a", CT, 1), InstanceHit("b", CT, 2)],
            "s-ct2": [InstanceHit("x", CT, None), InstanceHit("y", CT, 7)],
            "s-mr": [InstanceHit("m", "1.2.840.10008.5.1.4.1.1.4", 1)],
            "s-sr": [InstanceHit("text-report", COMPREHENSIVE, 1)],
        }
    )
    targets = plan_study(series, instances)
    got = {t.series_instance_uid: t.sop_instance_uids for t in targets}
    # a Comprehensive SR may be a dose report: fetched, but it does not make the images unnecessary
    assert got == {"s-sr": ["text-report"], "s-ct1": ["a"], "s-ct2": ["y"]}


def test_radiopharmaceutical_rdsr_counts_as_rdsr() -> None:
    instances, _ = lookup({"s-sr": [InstanceHit("r", RRDSR, 1)], "s-pt": [InstanceHit("p", None, 1)]})
    targets = plan_study([SeriesHit("s-sr", "SR"), SeriesHit("s-pt", "PT")], instances)
    assert [t.sop_instance_uids for t in targets] == [["r"]]


def test_modality_filter_limits_image_series() -> None:
    instances, _ = lookup({"s-ct": [InstanceHit("c", CT, 1)], "s-dx": [InstanceHit("d", None, 1)]})
    targets = plan_study([SeriesHit("s-ct", "CT"), SeriesHit("s-dx", "DX")], instances, ("DX",))
    assert [t.sop_instance_uids for t in targets] == [["d"]]


def test_unknown_sop_class_in_sr_series_is_fetched() -> None:
    instances, _ = lookup({"s-sr": [InstanceHit("maybe", None, 1)]})
    assert plan_study([SeriesHit("s-sr", "SR")], instances)[0].sop_instance_uids == ["maybe"]


def test_day_windows_cover_the_range_without_overlap() -> None:
    assert list(day_windows(date(2025, 1, 30), date(2025, 2, 2))) == [
        (date(2025, 1, 30), date(2025, 1, 30)),
        (date(2025, 1, 31), date(2025, 1, 31)),
        (date(2025, 2, 1), date(2025, 2, 1)),
        (date(2025, 2, 2), date(2025, 2, 2)),
    ]
    assert list(day_windows(date(2025, 1, 1), date(2025, 1, 10), 7)) == [
        (date(2025, 1, 1), date(2025, 1, 7)),
        (date(2025, 1, 8), date(2025, 1, 10)),
    ]
    assert list(day_windows(date(2025, 1, 2), date(2025, 1, 1))) == []


def test_wanted_study() -> None:
    assert wanted_study(StudyHit("1", modalities=("CT", "SR")), ("CT",))
    assert not wanted_study(StudyHit("1", modalities=("MR",)), ("CT",))
    assert wanted_study(StudyHit("1", modalities=()), ("CT",))  # the PACS did not say: ask per series
    assert wanted_study(StudyHit("1", modalities=("MR",)), ())
