"""parse_header on random header values: it returns a report or raises NotDoseRelevant / RejectedInput,
nothing else, and what it returns is finite and non-negative where doses are concerned."""

from __future__ import annotations

import math
import warnings
from dataclasses import fields

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom.datadict import dictionary_VR
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.tag import Tag

from kerma.domain.model import DoseReport, IrradiationEvent, NotDoseRelevant, RejectedInput
from kerma.ingest.headers import parse_header

SOP_CLASSES = [
    "1.2.840.10008.5.1.4.1.1.2",
    "1.2.840.10008.5.1.4.1.1.2.1",
    "1.2.840.10008.5.1.4.1.1.1",
    "1.2.840.10008.5.1.4.1.1.1.1",
    "1.2.840.10008.5.1.4.1.1.1.2.1",
    "1.2.840.10008.5.1.4.1.1.13.1.3",
    "1.2.840.10008.5.1.4.1.1.1.3",
    "1.2.840.10008.5.1.4.1.1.12.1",
    "1.2.840.10008.5.1.4.1.1.12.2.1",
    "1.2.840.10008.5.1.4.1.1.128",
    "1.2.840.10008.5.1.4.1.1.20",
    "1.2.840.10008.5.1.4.1.1.7",
    "1.2.840.10008.5.1.4.1.1.88.67",
]

# Attributes the parser reads at the top level.
TOP_TAGS = [
    0x00080060,  # Modality
    0x0008002A,  # AcquisitionDateTime
    0x00080022,  # AcquisitionDate
    0x00080032,  # AcquisitionTime
    0x00083010,  # IrradiationEventUID
    0x00180015,  # BodyPartExamined
    0x00180060,  # KVP
    0x00181110,  # DistanceSourceToDetector
    0x00181150,  # ExposureTime
    0x00181151,  # XRayTubeCurrent
    0x00181152,  # Exposure
    0x00181153,  # ExposureInuAs
    0x0018115E,  # ImageAndFluoroscopyAreaDoseProduct
    0x001811A0,  # BodyPartThickness
    0x00181411,  # ExposureIndex
    0x00181413,  # DeviationIndex
    0x00185101,  # ViewPosition
    0x00188150,  # ExposureTimeInuS
    0x00188151,  # XRayTubeCurrentInuA
    0x00189328,  # ExposureTimeInms
    0x00189332,  # ExposureInmAs
    0x00189345,  # CTDIvol
    0x00200012,  # AcquisitionNumber
    0x00200062,  # ImageLaterality
    0x00400302,  # EntranceDose
    0x00400316,  # OrganDose
    0x00408302,  # EntranceDoseInmGy
    0x00100040,  # PatientSex
    0x00101010,  # PatientAge
    0x00101020,  # PatientSize
    0x00100010,  # PatientName
    0x00400310,  # CommentsOnRadiationDose
]
ITEM_TAGS = [
    0x00180031,  # Radiopharmaceutical
    0x00181072,  # RadiopharmaceuticalStartTime
    0x00181074,  # RadionuclideTotalDose
    0x00181075,  # RadionuclideHalfLife
    0x00181078,  # RadiopharmaceuticalStartDateTime
    0x00189345,  # CTDIvol
    0x00181302,  # ScanLength
    0x00189302,  # AcquisitionType
    0x00200011,  # SeriesNumber
    0x00080100,  # CodeValue
    0x00080104,  # CodeMeaning
]
SEQUENCES = [
    0x00540016,  # RadiopharmaceuticalInformationSequence
    0x0040030E,  # ExposureDoseSequence
    0x00189346,  # CTDIPhantomTypeCodeSequence
    0x00540300,  # RadionuclideCodeSequence (misplaced at top level on purpose)
    0x00540220,  # ViewCodeSequence
    0x52009229,  # SharedFunctionalGroupsSequence
]

NUCLEAR = {"1.2.840.10008.5.1.4.1.1.128", "1.2.840.10008.5.1.4.1.1.20"}
NASTY_TEXT = [
    "",
    " ",
    "-1",
    "0",
    "1e999",
    "nan",
    "inf",
    "abc",
    "1\\2",
    "1,5",
    "\x00",
    "99999999999999999999",
    "3.7e8",
]
values = st.one_of(
    st.binary(max_size=24),
    st.sampled_from(NASTY_TEXT).map(lambda s: s.encode("latin-1")),
    st.floats(allow_nan=True, allow_infinity=True).map(lambda f: repr(f).encode()),
)


@st.composite
def raw_elements(draw: st.DrawFn, tags: list[int]) -> list[RawDataElement]:
    chosen = draw(st.lists(st.sampled_from(tags), unique=True, max_size=len(tags)))
    out = []
    for tag in chosen:
        value = draw(values)
        if len(value) % 2:
            value += b" "
        vr = draw(st.sampled_from([dictionary_VR(tag), dictionary_VR(tag), "UN"]))
        out.append(RawDataElement(Tag(tag), vr, len(value), value, 0, False, True))
    return out


@st.composite
def headers(draw: st.DrawFn) -> Dataset:
    ds = Dataset()
    mostly = st.sampled_from([True] * 9 + [False])
    sop_class = draw(st.sampled_from(SOP_CLASSES))
    if draw(mostly):
        ds.SOPClassUID = sop_class
    if draw(mostly):
        ds.SOPInstanceUID = "1.2.826.0.1.3680043.10.2.1"
    if draw(mostly):
        ds.StudyInstanceUID = "1.2.826.0.1.3680043.10.1.1"
    ds.SeriesInstanceUID = "1.2.826.0.1.3680043.10.3.1"
    for elem in draw(raw_elements(TOP_TAGS)):
        ds[elem.tag] = elem
    sequences = draw(st.lists(st.sampled_from(SEQUENCES), unique=True, max_size=3))
    if sop_class in NUCLEAR and 0x00540016 not in sequences:
        sequences.append(0x00540016)
    for tag in sequences:
        if draw(st.integers(0, 4)) == 0:
            junk = draw(st.binary(max_size=32))
            junk += b"\x00" * (len(junk) % 2)
            ds[tag] = RawDataElement(
                Tag(tag), draw(st.sampled_from(["SQ", "UN"])), len(junk), junk, 0, False, True
            )
            continue
        item = Dataset()
        for elem in draw(raw_elements(ITEM_TAGS)):
            item[elem.tag] = elem
        if tag == 0x52009229:  # functional group: a CT Exposure macro inside
            group = Dataset()
            group.CTExposureSequence = Sequence([item])
            item = group
        if tag == 0x00540016 and draw(st.booleans()):
            item.RadionuclideCodeSequence = Sequence([Dataset()])
        ds.add_new(tag, "SQ", Sequence([item]))
    return ds


def _check_report(report: DoseReport) -> None:
    for event in report.events:
        assert isinstance(event, IrradiationEvent)
        assert event.irradiation_event_uid and event.dedupe_key
        for f in fields(IrradiationEvent):
            value = getattr(event, f.name)
            if isinstance(value, float):
                assert math.isfinite(value), f.name
        for name in ("ctdivol_mgy", "dap_gy_cm2", "agd_mgy", "entrance_dose_mgy"):
            value = getattr(event, name)
            assert value is None or value >= 0, name
    for admin in report.administrations:
        assert admin.event_uid
        assert admin.activity_mbq is None or (math.isfinite(admin.activity_mbq) and admin.activity_mbq > 0)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(headers())
def test_parse_header_only_raises_its_two_refusals(ds: Dataset) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom warns about every invalid value it converts
        try:
            report = parse_header(ds)
        except (NotDoseRelevant, RejectedInput):
            return
    _check_report(report)


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=0, max_value=1e6, allow_nan=False), st.integers(min_value=1, max_value=10**7))
def test_dap_and_mas_conversions(dap_dgy_cm2: float, micro_as: int) -> None:
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.1.1"
    ds.SOPInstanceUID = "1.2.826.0.1.3680043.10.2.1"
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.10.1.1"
    ds.Modality = "DX"
    ds.AcquisitionTime = "101010"
    text = f"{dap_dgy_cm2:.6g}"  # DS holds at most 16 characters
    ds.ImageAndFluoroscopyAreaDoseProduct = text
    ds.ExposureInuAs = str(micro_as)
    event = parse_header(ds).events[0]
    assert event.dap_gy_cm2 == pytest.approx(float(text) / 10)  # 1 dGy·cm² = 0.1 Gy·cm²
    assert event.exposure_mas == pytest.approx(micro_as / 1000)  # 1000 µAs = 1 mAs
