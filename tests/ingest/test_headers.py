"""parse_header on synthetic headers: CT series collapse, enhanced objects, units, refusals."""

from __future__ import annotations

import struct
from datetime import datetime

import pydicom
import pytest
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.tag import Tag

from kerma.domain.model import NotDoseRelevant, RejectedInput, ReportKind
from kerma.ingest.headers import SECONDARY_CAPTURE_MESSAGE, is_header_candidate, parse_header
from tests.conftest import corpus_path

CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
ENHANCED_CT = "1.2.840.10008.5.1.4.1.1.2.1"
DX_PRESENTATION = "1.2.840.10008.5.1.4.1.1.1.1"
MG_PRESENTATION = "1.2.840.10008.5.1.4.1.1.1.2"
XA_IMAGE = "1.2.840.10008.5.1.4.1.1.12.1"
PET_IMAGE = "1.2.840.10008.5.1.4.1.1.128"
NM_IMAGE = "1.2.840.10008.5.1.4.1.1.20"
SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"
STUDY = "1.2.826.0.1.3680043.10.1.1"


def header(sop_class: str, modality: str, number: int = 1, **values: object) -> Dataset:
    ds = Dataset()
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = f"1.2.826.0.1.3680043.10.2.{number}"
    ds.StudyInstanceUID = STUDY
    ds.SeriesInstanceUID = "1.2.826.0.1.3680043.10.3.1"
    ds.Modality = modality
    ds.StudyDate = "20240102"
    ds.StudyTime = "090000"
    ds.Manufacturer = "ACME"
    ds.DeviceSerialNumber = "SN-1"
    for keyword, value in values.items():
        setattr(ds, keyword, value)
    return ds


def raw(ds: Dataset, tag: int, vr: str, value: bytes) -> None:
    """Store undecoded bytes, as a file read leaves them until first access."""
    ds[tag] = RawDataElement(Tag(tag), vr, len(value), value, 0, False, True)


def code(value: str, meaning: str, scheme: str = "DCM") -> Dataset:
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, scheme, meaning
    return item


# --- SOP classes --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "uid",
    [
        "1.2.840.10008.5.1.4.1.1.2",  # CT
        "1.2.840.10008.5.1.4.1.1.2.1",  # Enhanced CT
        "1.2.840.10008.5.1.4.1.1.1",  # CR
        "1.2.840.10008.5.1.4.1.1.1.1",  # DX for presentation
        "1.2.840.10008.5.1.4.1.1.1.1.1",  # DX for processing
        "1.2.840.10008.5.1.4.1.1.1.2",  # MG for presentation
        "1.2.840.10008.5.1.4.1.1.1.2.1",  # MG for processing
        "1.2.840.10008.5.1.4.1.1.13.1.3",  # Breast Tomosynthesis
        "1.2.840.10008.5.1.4.1.1.1.3",  # Intra-oral for presentation
        "1.2.840.10008.5.1.4.1.1.1.3.1",  # Intra-oral for processing
        "1.2.840.10008.5.1.4.1.1.12.1",  # XA
        "1.2.840.10008.5.1.4.1.1.12.1.1",  # Enhanced XA
        "1.2.840.10008.5.1.4.1.1.12.2",  # RF
        "1.2.840.10008.5.1.4.1.1.12.2.1",  # Enhanced XRF
        "1.2.840.10008.5.1.4.1.1.128",  # PET
        "1.2.840.10008.5.1.4.1.1.130",  # Enhanced PET
        "1.2.840.10008.5.1.4.1.1.20",  # NM
        "1.2.840.10008.5.1.4.1.1.7",  # Secondary Capture
    ],
)
def test_header_candidates(uid: str) -> None:
    assert is_header_candidate(uid)


@pytest.mark.parametrize(
    "uid",
    ["1.2.840.10008.5.1.4.1.1.88.67", "1.2.840.10008.5.1.4.1.1.4", "1.2.840.10008.5.1.4.1.1.6.1", "", "1.2"],
)
def test_not_header_candidates(uid: str) -> None:
    assert not is_header_candidate(uid)


def test_other_sop_class_is_not_dose_relevant() -> None:
    with pytest.raises(NotDoseRelevant):
        parse_header(header("1.2.840.10008.5.1.4.1.1.4", "MR", KVP="80"))


# --- CT -------------------------------------------------------------------------------------------------


def ct_slice(number: int, **values: object) -> Dataset:
    base: dict[str, object] = {
        "CTDIvol": 12.3,
        "KVP": "120",
        "XRayTubeCurrent": "200",
        "AcquisitionNumber": "2",
        "AcquisitionDate": "20240102",
        "AcquisitionTime": "090512",
    }
    base.update(values)
    return header(CT_IMAGE, "CT", number, **base)


def test_ct_series_collapses_to_one_acquisition() -> None:
    reports = [parse_header(ct_slice(n, SliceLocation=str(5 * n))) for n in range(1, 6)]
    events = [r.events[0] for r in reports]
    assert {e.dedupe_key for e in events} == {events[0].dedupe_key}
    assert events[0].dedupe_key.startswith("hdr-ct:")
    assert {e.ctdivol_mgy for e in events} == {12.3}
    # Each image still names itself; the store keeps the first one's.
    assert [e.irradiation_event_uid for e in events] == [f"1.2.826.0.1.3680043.10.2.{n}" for n in range(1, 6)]
    assert all(e.dlp_mgy_cm is None for e in events)
    assert reports[0].kind is ReportKind.CT


def test_ct_acquisitions_and_series_are_kept_apart() -> None:
    first = parse_header(ct_slice(1)).events[0].dedupe_key
    assert parse_header(ct_slice(2, AcquisitionNumber="3")).events[0].dedupe_key != first
    other_series = ct_slice(3, SeriesInstanceUID="1.2.826.0.1.3680043.10.3.2")
    assert parse_header(other_series).events[0].dedupe_key != first


def test_ct_irradiation_event_uid_wins() -> None:
    event = parse_header(ct_slice(1, IrradiationEventUID="1.2.826.0.1.3680043.10.9.9")).events[0]
    assert event.irradiation_event_uid == event.dedupe_key == "1.2.826.0.1.3680043.10.9.9"


def test_ct_fields_and_phantom() -> None:
    ds = ct_slice(
        1,
        CTDIPhantomTypeCodeSequence=Sequence([code("113691", "IEC Body Dosimetry Phantom")]),
        WaterEquivalentDiameter=254.5,
        SpiralPitchFactor=0.984,
        RevolutionTime=0.5,
        DistanceSourceToPatient="541",
        ExposureTime="500",
        Exposure="100",
    )
    event = parse_header(ds).events[0]
    assert event.ctdi_phantom == "body32"
    assert event.water_equivalent_diameter_mm == 254.5
    assert event.pitch_factor == 0.984
    assert event.exposure_time_per_rotation_s == 0.5
    assert event.distance_source_to_isocenter_mm == 541.0
    assert event.exposure_time_s == pytest.approx(0.5)  # 500 ms
    assert event.exposure_mas == 100.0
    assert event.datetime_started == datetime(2024, 1, 2, 9, 5, 12)
    for value, name in (("113690", "head16"), ("130541", "paed10")):
        ds.CTDIPhantomTypeCodeSequence = Sequence([code(value, "phantom")])
        assert parse_header(ds).events[0].ctdi_phantom == name


def test_enhanced_ct_reads_functional_groups() -> None:
    exposure = Dataset()
    exposure.CTDIvol = 8.5
    exposure.ExposureInmAs = 150.0
    exposure.XRayTubeCurrentInmA = 300.0
    exposure.ExposureTimeInms = 500.0
    exposure.CTDIPhantomTypeCodeSequence = Sequence([code("113690", "IEC Head Dosimetry Phantom")])
    details = Dataset()
    details.KVP = "100"
    acquisition = Dataset()
    acquisition.AcquisitionType = "SPIRAL"
    shared = Dataset()
    shared.CTExposureSequence = Sequence([exposure])
    shared.CTXRayDetailsSequence = Sequence([details])
    shared.CTAcquisitionTypeSequence = Sequence([acquisition])
    frame = Dataset()
    content = Dataset()
    content.FrameAcquisitionDateTime = "20240102091500"
    frame.FrameContentSequence = Sequence([content])
    ds = header(ENHANCED_CT, "CT", AcquisitionNumber="1")
    ds.SharedFunctionalGroupsSequence = Sequence([shared])
    ds.PerFrameFunctionalGroupsSequence = Sequence([frame, Dataset()])
    event = parse_header(ds).events[0]
    assert event.ctdivol_mgy == 8.5
    assert event.ctdi_phantom == "head16"
    assert event.kvp == 100.0
    assert event.exposure_mas == 150.0
    assert event.tube_current_ma == 300.0
    assert event.exposure_time_s == pytest.approx(0.5)
    assert event.event_type == "spiral"
    assert event.datetime_started == datetime(2024, 1, 2, 9, 15)


def test_ct_without_ctdivol_or_exposure_is_not_dose_relevant() -> None:
    ds = header(CT_IMAGE, "CT", SliceThickness="5", ImageType=["DERIVED", "SECONDARY", "REFORMATTED"])
    with pytest.raises(NotDoseRelevant):
        parse_header(ds)


def test_ct_with_exposure_but_no_ctdivol_is_an_event() -> None:
    ds = header(CT_IMAGE, "CT", KVP="120", XRayTubeCurrent="30", AcquisitionNumber="1")
    event = parse_header(ds).events[0]
    assert event.ctdivol_mgy is None
    assert event.kvp == 120.0


# --- projection units ---------------------------------------------------------------------------------


def test_projection_units_against_hand_computed_values() -> None:
    ds = header(
        DX_PRESENTATION,
        "DX",
        ImageAndFluoroscopyAreaDoseProduct="2.5",  # dGy·cm² -> 0.25 Gy·cm²
        EntranceDose=3,  # dGy -> 300 mGy (used only without Entrance Dose in mGy)
        ExposureInuAs="2500",  # µAs -> 2.5 mAs
        XRayTubeCurrentInuA="320000",  # µA -> 320 mA
        ExposureTimeInuS="7800",  # µs -> 7.8 ms -> 0.0078 s
        AcquisitionDateTime="20240102093000",
        OrganDose="0.02",  # dGy -> 2 mGy, kept in extra outside mammography
    )
    event = parse_header(ds).events[0]
    assert event.dap_gy_cm2 == pytest.approx(0.25)
    assert event.entrance_dose_mgy == pytest.approx(300.0)
    assert event.exposure_mas == pytest.approx(2.5)
    assert event.tube_current_ma == pytest.approx(320.0)
    assert event.exposure_time_s == pytest.approx(0.0078)
    assert event.agd_mgy is None
    assert event.extra["organ_dose_mgy"] == pytest.approx(2.0)
    ds.EntranceDoseInmGy = "1.25"
    assert parse_header(ds).events[0].entrance_dose_mgy == 1.25


def test_mammography_organ_dose_is_agd() -> None:
    ds = header(MG_PRESENTATION, "MG", OrganDose="0.0123", BodyPartThickness="45", AcquisitionTime="101010")
    event = parse_header(ds).events[0]
    assert event.agd_mgy == pytest.approx(1.23)  # 0.0123 dGy x 100
    assert event.compression_thickness_mm == 45.0
    assert parse_header(ds).kind is ReportKind.MAMMOGRAPHY


def test_entrance_dose_zero_in_whole_dgy_is_not_a_reading() -> None:
    ds = header(MG_PRESENTATION, "MG", OrganDose="0.01", EntranceDose=0, AcquisitionTime="101010")
    assert parse_header(ds).events[0].entrance_dose_mgy is None


def test_xa_run() -> None:
    ds = header(
        XA_IMAGE,
        "XA",
        ImageAndFluoroscopyAreaDoseProduct="123.4",
        RadiationMode="PULSED",
        AveragePulseWidth="7.5",
        NumberOfFrames="60",
        PositionerMotion="DYNAMIC",
        PositionerPrimaryAngle="-30",
        AcquisitionDateTime="20240102101500",
    )
    event = parse_header(ds).events[0]
    assert event.dap_gy_cm2 == pytest.approx(12.34)  # the run's DAP, not per frame
    assert event.fluoro_mode == "pulsed"
    assert event.pulse_width_ms == 7.5
    assert event.event_type == "rotational_acquisition"
    assert event.positioner_primary_angle_deg == -30.0
    assert event.extra["number_of_frames"] == 60.0


def test_exposure_without_any_time_is_keyed_by_instance() -> None:
    one = header(DX_PRESENTATION, "DX", 1, ImageAndFluoroscopyAreaDoseProduct="1", KVP="70")
    two = header(DX_PRESENTATION, "DX", 2, ImageAndFluoroscopyAreaDoseProduct="1", KVP="70")
    a, b = parse_header(one), parse_header(two)
    assert a.events[0].dedupe_key != b.events[0].dedupe_key
    assert any("SOP Instance UID" in w for w in a.warnings)


def test_exposure_key_ignores_precision_of_mas() -> None:
    # One image with ExposureInuAs, its twin with only the rounded Exposure (IS, mAs).
    common = {"AcquisitionTime": "101010.000", "KVP": "70", "ImageAndFluoroscopyAreaDoseProduct": "1"}
    a = header(DX_PRESENTATION, "DX", 1, ExposureInuAs="20800", **common)
    b = header(
        "1.2.840.10008.5.1.4.1.1.1.1.1", "DX", 2, Exposure="21", **{**common, "AcquisitionTime": "101010"}
    )
    assert parse_header(a).events[0].dedupe_key == parse_header(b).events[0].dedupe_key


# --- secondary capture --------------------------------------------------------------------------------


def test_secondary_capture_without_dose_attributes() -> None:
    ds = header(SECONDARY_CAPTURE, "CT", KVP="120", ImageType=["DERIVED", "SECONDARY"])
    with pytest.raises(NotDoseRelevant) as info:
        parse_header(ds)
    assert str(info.value) == "secondary capture (dose screen): kept for OCR, no header dose fields"
    assert str(info.value) == SECONDARY_CAPTURE_MESSAGE


def test_secondary_capture_with_dap_is_read() -> None:
    ds = header(SECONDARY_CAPTURE, "RF", ImageAndFluoroscopyAreaDoseProduct="50", AcquisitionTime="1200")
    report = parse_header(ds)
    assert report.kind is ReportKind.PROJECTION
    assert report.events[0].dap_gy_cm2 == pytest.approx(5.0)


# --- PET / NM -----------------------------------------------------------------------------------------


def radiopharmaceutical(**values: object) -> Dataset:
    item = Dataset()
    for keyword, value in values.items():
        setattr(item, keyword, value)
    return item


def test_pet_start_time_only_takes_the_acquisition_date_and_crosses_midnight() -> None:
    item = radiopharmaceutical(
        RadionuclideTotalDose="250000000",
        RadiopharmaceuticalStartTime="233000",
        RadionuclideCodeSequence=Sequence([code("C-111A1", "^18^Fluorine", "SRT")]),
    )
    ds = header(PET_IMAGE, "PT", AcquisitionDate="20240103", AcquisitionTime="003000")
    ds.RadiopharmaceuticalInformationSequence = Sequence([item])
    report = parse_header(ds)
    (admin,) = report.administrations
    assert report.events == []
    assert report.kind is ReportKind.RADIOPHARMACEUTICAL
    assert admin.activity_mbq == pytest.approx(250.0)
    assert admin.start_datetime == datetime(2024, 1, 2, 23, 30)  # injected the evening before


def test_activity_in_the_other_iods_unit_is_recognised() -> None:
    pet = header(PET_IMAGE, "PT", AcquisitionTime="100000")
    pet.RadiopharmaceuticalInformationSequence = Sequence([radiopharmaceutical(RadionuclideTotalDose="370")])
    report = parse_header(pet)
    assert report.administrations[0].activity_mbq == 370.0  # 370 Bq is no PET dose: MBq
    assert any("implausible in Bq" in w for w in report.warnings)
    nm = header(NM_IMAGE, "NM", AcquisitionTime="100000")
    nm.RadiopharmaceuticalInformationSequence = Sequence([radiopharmaceutical(RadionuclideTotalDose="7.4e8")])
    assert parse_header(nm).administrations[0].activity_mbq == pytest.approx(740.0)


def test_pet_without_radiopharmaceutical_information_is_not_dose_relevant() -> None:
    with pytest.raises(NotDoseRelevant):
        parse_header(header(PET_IMAGE, "PT"))


# --- rejections -----------------------------------------------------------------------------------------


def test_corrupt_ctdivol_is_rejected_with_its_name() -> None:
    ds = ct_slice(1)
    raw(ds, 0x00189345, "FD", b"abc")  # FD needs 8 bytes
    with pytest.raises(RejectedInput) as info:
        parse_header(ds)
    assert info.value.field_name == "CTDIvol (0018,9345)"


@pytest.mark.parametrize("value", [b"-4.2", b"lots", b"1e999"])
def test_bad_dap_is_rejected(value: bytes) -> None:
    ds = header(DX_PRESENTATION, "DX", AcquisitionTime="1010")
    raw(ds, 0x0018115E, "DS", value)
    with pytest.raises(RejectedInput) as info:
        parse_header(ds)
    assert info.value.field_name == "ImageAndFluoroscopyAreaDoseProduct (0018,115E)"


def test_corrupt_technique_value_is_dropped_with_a_warning() -> None:
    ds = header(DX_PRESENTATION, "DX", ImageAndFluoroscopyAreaDoseProduct="1", AcquisitionTime="1010")
    raw(ds, 0x00180060, "DS", b"seventy")
    report = parse_header(ds)
    assert report.events[0].kvp is None
    assert any("KVP (0018,0060)" in w for w in report.warnings)


def test_missing_study_uid_is_rejected() -> None:
    ds = ct_slice(1)
    del ds.StudyInstanceUID
    with pytest.raises(RejectedInput) as info:
        parse_header(ds)
    assert info.value.field_name == "StudyInstanceUID (0020,000D)"


def test_missing_sop_instance_uid_is_rejected() -> None:
    ds = ct_slice(1)
    del ds.SOPInstanceUID
    with pytest.raises(RejectedInput) as info:
        parse_header(ds)
    assert info.value.field_name == "SOPInstanceUID (0008,0018)"


def test_corrupt_activity_is_rejected() -> None:
    item = Dataset()
    raw(item, 0x00181074, "DS", b"a lot")
    ds = header(PET_IMAGE, "PT")
    ds.RadiopharmaceuticalInformationSequence = Sequence([item])
    with pytest.raises(RejectedInput) as info:
        parse_header(ds)
    assert info.value.field_name == "RadionuclideTotalDose (0018,1074)"


@pytest.mark.corpus
def test_pixel_data_is_never_read() -> None:
    ds = pydicom.dcmread(corpus_path("DX-Im-GE_XR220-1.dcm"))  # full read, pixel data included
    # Undecodable pixel data: any access to it raises, so parsing must not touch it.
    ds[0x7FE00010] = RawDataElement(Tag(0x7FE00010), "FD", 3, b"\x00\x01\x02", 0, False, True)
    report = parse_header(ds)
    assert report.events[0].dap_gy_cm2 == pytest.approx(0.041)
    with pytest.raises(Exception):  # noqa: B017 - pydicom's own length error
        _ = ds.PixelData


def test_float_bytes_roundtrip_helper() -> None:
    # The raw() helper stores FD values as a file would: 8 little-endian bytes.
    ds = ct_slice(1)
    raw(ds, 0x00189345, "FD", struct.pack("<d", 4.5))
    assert parse_header(ds).events[0].ctdivol_mgy == 4.5


def test_modality_falls_back_to_the_sop_class() -> None:
    ds = header("1.2.840.10008.5.1.4.1.1.1.3", "IO", KVP="60", Exposure="2", AcquisitionTime="1010")
    del ds.Modality
    report = parse_header(ds)
    assert report.events[0].modality == "IO"  # intra-oral radiography
    assert report.study.modality == "IO"


def test_enhanced_xa_irradiation_event_uid_from_functional_group() -> None:
    identification = Dataset()
    identification.IrradiationEventUID = "1.2.826.0.1.3680043.10.9.7"
    frame = Dataset()
    frame.IrradiationEventIdentificationSequence = Sequence([identification])
    ds = header("1.2.840.10008.5.1.4.1.1.12.1.1", "XA", ImageAndFluoroscopyAreaDoseProduct="40")
    ds.PerFrameFunctionalGroupsSequence = Sequence([frame])
    event = parse_header(ds).events[0]
    assert event.irradiation_event_uid == event.dedupe_key == "1.2.826.0.1.3680043.10.9.7"
    assert event.dap_gy_cm2 == pytest.approx(4.0)
