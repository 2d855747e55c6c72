"""MPPS -> DoseReport: the pure conversion (no network, no database).

Expected values are the attribute values of the built steps converted by hand with the units PS3.3
gives the MPPS Radiation Dose module: area dose product in dGy·cm² (/10 -> Gy·cm²), entrance dose in
dGy (x100 -> mGy), tube current in µA (/1000 -> mA), exposure time in ms (/1000 -> s), fluoroscopy
time in s.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydicom.dataset import Dataset

from kerma.domain.model import DoseSource, NotDoseRelevant, RejectedInput, ReportKind
from kerma.domain.totals import combine, event_totals, summarise
from kerma.net.mpps import MPPS_SOP_CLASS, has_dose_data, merge_set, mpps_to_report, step_study_uid
from tests.net.builders import mpps_completion, mpps_create

STUDY = "1.2.826.0.1.3680043.8.498.100"
STEP = "1.2.826.0.1.3680043.8.498.200"


def completed(**kwargs: object) -> Dataset:
    return merge_set(mpps_create(STUDY), mpps_completion(**kwargs))  # type: ignore[arg-type]


def test_totals_only_step_becomes_one_event_with_the_step_totals() -> None:
    report = mpps_to_report(completed(fluoro_s=95, dap_dgy_cm2="123.4", exposures=3, entrance_dgy=3), STEP)
    assert report.source is DoseSource.MPPS
    assert report.sop_class_uid == MPPS_SOP_CLASS
    assert report.sop_instance_uid == STEP
    assert report.study.study_instance_uid == STUDY
    assert report.study.accession_number == "ACC-MPPS-1"
    assert report.study.modality == "RF"
    assert report.study.study_datetime == datetime(2025, 3, 4, 9, 30)
    assert report.content_datetime == datetime(2025, 3, 4, 9, 45)
    assert report.kind is ReportKind.PROJECTION
    assert report.source_of_dose_information == "MPPS Content"
    [acc] = report.accumulated
    assert acc.dap_total_gy_cm2 == pytest.approx(12.34)  # 123.4 dGy·cm²
    assert acc.fluoro_time_total_s == 95
    assert acc.event_count == 3
    step, fluoro = report.events
    assert step.dap_gy_cm2 == pytest.approx(12.34)
    assert step.entrance_dose_mgy == pytest.approx(300.0)  # 3 dGy
    assert step.event_type is None  # the area dose product covers images and fluoroscopy
    assert (fluoro.event_type, fluoro.fluoro_time_s, fluoro.dap_gy_cm2) == ("fluoroscopy", 95, None)
    assert all(e.modality == "RF" and e.extra["mpps_step_totals"] for e in report.events)
    assert all(e.protocol == "SWALLOW" for e in report.events)  # Performed Series > Protocol Name
    totals = event_totals(report.events)
    assert totals.total_dap_gy_cm2 == pytest.approx(12.34)
    assert totals.total_fluoro_time_s == 95
    assert totals.total_fluoro_dap_gy_cm2 is None
    assert report.device.station_name == "FLUORO_2"
    assert report.device.location == "Room 2"
    assert report.identity.patient_id == "PAT-MPPS-1"
    assert report.patient.sex == "M"
    assert report.patient.age_years == pytest.approx(54.84, abs=0.01)  # 1970-05-01 to 2025-03-04


def test_entrance_dose_in_mgy_wins_over_dgy() -> None:
    report = mpps_to_report(completed(entrance_dgy=3, entrance_mgy="12.5"), STEP)
    assert [e.entrance_dose_mgy for e in report.events] == [pytest.approx(12.5), None]


def test_exposure_dose_sequence_items_become_events() -> None:
    items = [
        {
            "KVP": "80",
            "XRayTubeCurrentInuA": "250000",
            "ExposureTime": 12,
            "RadiationMode": "PULSED",
            "FilterType": "WEDGE",
            "FilterMaterial": "COPPER",
        },
        {"KVP": "70", "XRayTubeCurrentInuA": "5000", "ExposureTime": 2000, "RadiationMode": "CONTINUOUS"},
    ]
    report = mpps_to_report(completed(exposure_items=items, entrance_dgy=2), STEP)
    assert len(report.events) == 4  # two exposures, the step totals, the fluoroscopy time
    first, second, step, _fluoro = report.events
    assert first.kvp == 80
    assert first.tube_current_ma == pytest.approx(250.0)
    assert first.exposure_time_s == pytest.approx(0.012)
    assert first.fluoro_mode == "pulsed"
    assert first.filters == "WEDGE COPPER"
    assert second.tube_current_ma == pytest.approx(5.0)
    assert second.exposure_time_s == pytest.approx(2.0)
    assert second.fluoro_mode == "continuous"
    assert first.dap_gy_cm2 is None and first.entrance_dose_mgy is None  # no dose per exposure
    # the step's entrance dose and area dose product belong to no single exposure
    assert step.entrance_dose_mgy == pytest.approx(200.0)
    assert step.dap_gy_cm2 == pytest.approx(12.34)
    assert report.accumulated[0].dap_total_gy_cm2 == pytest.approx(12.34)
    assert len({e.irradiation_event_uid for e in report.events}) == 4


def test_event_identities_are_stable_for_the_same_step() -> None:
    items = [{"KVP": "80"}, {"KVP": "81"}]
    a = mpps_to_report(completed(exposure_items=items), STEP)
    assert len(a.events) == 4
    b = mpps_to_report(completed(exposure_items=items), STEP)
    assert [e.dedupe_key for e in a.events] == [e.dedupe_key for e in b.events]
    other = mpps_to_report(completed(exposure_items=items), STEP + ".1")
    assert not {e.dedupe_key for e in a.events} & {e.dedupe_key for e in other.events}


def test_ct_exposure_sequence_gives_ct_events_with_ctdivol() -> None:
    create = mpps_create(STUDY, modality="CT")
    phantom = Dataset()
    phantom.CodeValue = "113691"
    phantom.CodingSchemeDesignator = "DCM"
    phantom.CodeMeaning = "IEC Body Dosimetry Phantom"
    items = [
        {"CTDIvol": 14.2, "ExposureTimeInms": 750.0, "XRayTubeCurrentInmA": 180.0, "ExposureInmAs": 135.0},
        {"CTDIvol": 3.1},
    ]
    ds = merge_set(create, mpps_completion(fluoro_s=None, dap_dgy_cm2=None, exposures=2, ct_items=items))
    ds.CTExposureSequence[0].CTDIPhantomTypeCodeSequence = [phantom]
    report = mpps_to_report(ds, STEP)
    assert report.kind is ReportKind.CT
    assert [e.ctdivol_mgy for e in report.events] == [14.2, 3.1]  # no step totals: no DAP, no fluoroscopy
    assert report.events[0].ctdi_phantom == "body32"
    assert report.events[0].exposure_time_s == pytest.approx(0.75)
    assert report.events[0].exposure_mas == 135.0
    assert all(e.modality == "CT" for e in report.events)
    assert report.accumulated[0].event_count == 2


@pytest.mark.parametrize("status", ["IN PROGRESS", "DISCONTINUED"])
def test_only_completed_steps_count(status: str) -> None:
    with pytest.raises(NotDoseRelevant, match="only COMPLETED"):
        mpps_to_report(completed(status=status), STEP)


def test_step_with_only_a_number_of_exposures_is_not_dose_relevant() -> None:
    with pytest.raises(NotDoseRelevant, match="usable"):
        mpps_to_report(completed(fluoro_s=None, dap_dgy_cm2=None, exposures=4), STEP)


def test_step_without_dose_attributes_is_not_dose_relevant() -> None:
    ds = completed(fluoro_s=None, dap_dgy_cm2=None, exposures=None)
    assert not has_dose_data(ds)
    with pytest.raises(NotDoseRelevant, match="without radiation dose"):
        mpps_to_report(ds, STEP)


def test_step_that_names_no_study_is_rejected() -> None:
    ds = completed()
    del ds.ScheduledStepAttributesSequence
    assert step_study_uid(ds) is None
    with pytest.raises(RejectedInput, match="StudyInstanceUID"):
        mpps_to_report(ds, STEP)


def test_negative_area_dose_product_is_rejected() -> None:
    with pytest.raises(RejectedInput, match="ImageAndFluoroscopyAreaDoseProduct"):
        mpps_to_report(completed(dap_dgy_cm2="-4"), STEP)


def test_merge_set_replaces_attributes_and_keeps_the_rest() -> None:
    base = mpps_create(STUDY)
    change = Dataset()
    change.PerformedProcedureStepStatus = "COMPLETED"
    change.PerformedLocation = "Room 3"
    merged = merge_set(base, change)
    assert merged.PerformedProcedureStepStatus == "COMPLETED"
    assert merged.PerformedLocation == "Room 3"
    assert merged.PatientID == "PAT-MPPS-1"
    assert base.PerformedProcedureStepStatus == "IN PROGRESS"  # the stored step is not changed in place


def test_mpps_never_adds_to_an_rdsr_of_the_same_room() -> None:
    """The store's precedence rule (domain.totals) applied to an MPPS report and an RDSR of one room."""
    from tests.factories import ct_event, ct_rdsr

    mpps = mpps_to_report(
        merge_set(
            mpps_create(STUDY, modality="CT"),
            mpps_completion(fluoro_s=None, dap_dgy_cm2=None, exposures=1, ct_items=[{"CTDIvol": 10.0}]),
        ),
        STEP,
    )
    rdsr = ct_rdsr("1.2.3.4.5", STUDY, [ct_event("1.2.3.4.6", 250.0)], 250.0)
    result = combine([summarise(mpps, received_order=1), summarise(rdsr, received_order=2)])
    assert result.outranked_objects == [STEP]
    assert result.totals.total_dlp_mgy_cm == 250.0


@given(st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False))
def test_area_dose_product_is_converted_from_dgy_cm2(value: object) -> None:
    report = mpps_to_report(completed(dap_dgy_cm2=str(value)), STEP)
    assert report.accumulated[0].dap_total_gy_cm2 == pytest.approx(float(str(value)) / 10.0)
    assert event_totals(report.events).total_dap_gy_cm2 == pytest.approx(float(str(value)) / 10.0)
