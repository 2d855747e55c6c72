"""The RDSR parser's rules on small reports built here: rejections, warnings, legacy and current codes,
biplane systems, dose check, modality inference, SOP classes.

Each report is read twice: as built in memory (pydicom elements) and after a write and read through
bytes (the raw-element path real files take), in explicit little endian, implicit little endian and
explicit big endian with undefined-length sequences.
"""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO
from typing import Any

import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from kerma.domain.model import NotDoseRelevant, RejectedInput, ReportKind
from kerma.domain.totals import reported_totals
from kerma.ingest.rdsr import is_dose_sr, parse_rdsr

XRAY_DOSE_SR = "1.2.840.10008.5.1.4.1.1.88.67"
RADIOPHARMACEUTICAL_SR = "1.2.840.10008.5.1.4.1.1.88.68"
ENHANCED_SR = "1.2.840.10008.5.1.4.1.1.88.22"
STUDY_UID = "1.2.826.0.1.3680043.10.1.1"
MEANINGS = {
    "113838": "DLP",
    "113830": "Mean CTDIvol",
    "113769": "Irradiation Event UID",
    "122130": "Dose Area Product",
}


# -- builders ------------------------------------------------------------------------------------------
def code(value: str, scheme: str = "DCM", meaning: str = "") -> Dataset:
    item = Dataset()
    item.CodeValue = value
    item.CodingSchemeDesignator = scheme
    item.CodeMeaning = meaning or value
    return item


def content(
    concept: tuple[str, str] | str,
    value_type: str,
    relationship: str = "CONTAINS",
    children: list[Dataset] | None = None,
    **attributes: Any,
) -> Dataset:
    item = Dataset()
    item.RelationshipType = relationship
    item.ValueType = value_type
    value, scheme = (concept, "DCM") if isinstance(concept, str) else concept
    item.ConceptNameCodeSequence = Sequence([code(value, scheme, MEANINGS.get(value, ""))])
    for keyword, value_ in attributes.items():
        setattr(item, keyword, value_)
    if children:
        item.ContentSequence = Sequence(children)
    return item


def num(concept: tuple[str, str] | str, value: float | None, unit: str | None, **kw: Any) -> Dataset:
    item = content(concept, "NUM", **kw)
    if value is not None:
        measured = Dataset()
        measured.NumericValue = f"{value:.10g}"
        if unit is not None:
            measured.MeasurementUnitsCodeSequence = Sequence([code(unit, "UCUM", unit)])
        item.MeasuredValueSequence = Sequence([measured])
    return item


def coded(
    concept: tuple[str, str] | str, value: str, scheme: str = "DCM", meaning: str = "", **kw: Any
) -> Dataset:
    return content(concept, "CODE", ConceptCodeSequence=Sequence([code(value, scheme, meaning)]), **kw)


def text(concept: tuple[str, str] | str, value: str, **kw: Any) -> Dataset:
    return content(concept, "TEXT", TextValue=value, **kw)


def uid(concept: str, value: str, **kw: Any) -> Dataset:
    return content(concept, "UIDREF", UID=value, **kw)


def container(concept: str, children: list[Dataset], **kw: Any) -> Dataset:
    return content(concept, "CONTAINER", children=children, ContinuityOfContent="SEPARATE", **kw)


def report(
    root: tuple[str, str] | str,
    children: list[Dataset],
    sop_class: str = XRAY_DOSE_SR,
    modality: str = "SR",
    study_uid: str | None = STUDY_UID,
) -> Dataset:
    ds = content(root, "CONTAINER", children=children, ContinuityOfContent="SEPARATE")
    del ds.RelationshipType
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = "1.2.826.0.1.3680043.10.1.2"
    ds.SeriesInstanceUID = "1.2.826.0.1.3680043.10.1.3"
    if study_uid:
        ds.StudyInstanceUID = study_uid
    ds.Modality = modality
    ds.Manufacturer = "Header Maker"
    ds.StudyDate = "20240102"
    ds.StudyTime = "101500"
    ds.ContentDate = "20240102"
    ds.ContentTime = "113000"
    ds.PatientSex = "F"
    ds.PatientAge = "045Y"
    return ds


def observer(uid_value: str = "1.2.3.4", serial: str = "SN1", model: str = "Scanner X") -> list[Dataset]:
    return [
        coded("121005", "121007", relationship="HAS OBS CONTEXT"),
        uid("121012", uid_value, relationship="HAS OBS CONTEXT"),
        text("121013", "ROOM1", relationship="HAS OBS CONTEXT"),
        text("121014", "Maker", relationship="HAS OBS CONTEXT"),
        text("121015", model, relationship="HAS OBS CONTEXT"),
        text("121016", serial, relationship="HAS OBS CONTEXT"),
    ]


def procedure(value: str, scheme: str) -> Dataset:
    return coded("121058", value, scheme, relationship="HAS CONCEPT MOD")


def ct_acquisition(
    event_uid: str | None,
    ctdivol: float | None = 10.0,
    dlp: float | None = 300.0,
    acq_type: tuple[str, str] = ("P5-08001", "SRT"),
    extra: list[Dataset] | None = None,
    dlp_unit: str = "mGy.cm",
) -> Dataset:
    children = [
        text("125203", "Abdomen"),
        coded("123014", "T-D4000", "SRT", "Abdomen"),
        coded("113820", *acq_type),
    ]
    if event_uid is not None:
        children.append(uid("113769", event_uid))
    children.append(
        container(
            "113822",
            [
                num("113824", 5.0, "s"),
                num("113825", 400.0, "mm"),
                num("113828", 0.9, "{ratio}"),
                num("113823", 1, "{X-Ray sources}"),
                container(
                    "113831", [num("113733", 120, "kV"), num("113734", 200, "mA"), num("113833", 250, "mA")]
                ),
            ],
        )
    )
    if ctdivol is not None:
        children.append(
            container(
                "113829",
                [num("113830", ctdivol, "mGy"), coded("113835", "113691"), num("113838", dlp, dlp_unit)],
            )
        )
    return container("113819", children + (extra or []))


def ct_report(acquisitions: list[Dataset], procedure_code: tuple[str, str] = ("P5-08000", "SRT")) -> Dataset:
    total = sum(
        float(d.MeasuredValueSequence[0].NumericValue)
        for a in acquisitions
        for c in a.ContentSequence
        if c.ConceptNameCodeSequence[0].CodeValue == "113829"
        for d in c.ContentSequence
        if d.ConceptNameCodeSequence[0].CodeValue == "113838"
    )
    accumulated = container(
        "113811", [num("113812", len(acquisitions), "{events}"), num("113813", total, "mGy.cm")]
    )
    return report("113701", [procedure(*procedure_code), *observer(), accumulated, *acquisitions])


def projection_event(
    event_uid: str,
    event_type: tuple[str, str] = ("P5-06000", "SRT"),
    plane: str = "113622",
    dap_gy_m2: float = 2e-4,
    extra: list[Dataset] | None = None,
) -> Dataset:
    return container(
        "113706",
        [
            coded("113764", plane, relationship="HAS CONCEPT MOD"),
            uid("113769", event_uid),
            coded("113721", *event_type),
            num("122130", dap_gy_m2, "Gy.m2"),
            num("113738", 0.002, "Gy"),
            num("113742", 4.0, "s"),
            num("113824", 3500, "ms"),
            num("113736", 1500, "uA.s"),
            *(extra or []),
        ],
    )


def accumulated_plane(plane: str, dap_gy_m2: float, kar_gy: float, fluoro_s: float) -> Dataset:
    return container(
        "113702",
        [
            coded("113764", plane, relationship="HAS CONCEPT MOD"),
            num("113722", dap_gy_m2, "Gy.m2"),
            num("113725", kar_gy, "Gy"),
            num("113730", fluoro_s, "s"),
            coded("113780", "113860"),
        ],
    )


def roundtrip(ds: Dataset, syntax: str, undefined: str = "") -> Dataset:
    """Write and read back, so sequences come back as raw bytes like those of a real file.

    ``undefined``: "all" writes every sequence and item with undefined length (pydicom then decodes the
    whole tree when reading), "inner" all but the root's Content Sequence (which stays raw bytes with
    undefined-length sequences inside, for the raw item reader).
    """
    if undefined:

        def mark(dataset: Dataset, depth: int) -> None:
            for elem in dataset:
                if elem.VR == "SQ":
                    if undefined == "all" or depth > 0:
                        elem.is_undefined_length = True
                    for item in elem.value:
                        if undefined == "all" or depth > 0:
                            item.is_undefined_length_sequence_item = True
                        mark(item, depth + 1)

        mark(ds, 0)
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = pydicom.uid.UID(syntax)
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    buffer = BytesIO()
    pydicom.filewriter.dcmwrite(buffer, ds, enforce_file_format=True)
    buffer.seek(0)
    return pydicom.dcmread(buffer)


READS: dict[str, Callable[[Dataset], Dataset]] = {
    "in-memory": lambda ds: ds,
    "explicit-le": lambda ds: roundtrip(ds, ExplicitVRLittleEndian),
    "implicit-le": lambda ds: roundtrip(ds, ImplicitVRLittleEndian),
    "explicit-be-undefined": lambda ds: roundtrip(ds, ExplicitVRBigEndian, undefined="all"),
    "explicit-be-inner-undefined": lambda ds: roundtrip(ds, ExplicitVRBigEndian, undefined="inner"),
    "implicit-le-inner-undefined": lambda ds: roundtrip(ds, ImplicitVRLittleEndian, undefined="inner"),
}


@pytest.fixture(params=sorted(READS))
def read(request: pytest.FixtureRequest) -> Callable[[Dataset], Dataset]:
    return READS[request.param]


# -- CT ------------------------------------------------------------------------------------------------
def test_ct_report_values(read: Callable[[Dataset], Dataset]) -> None:
    ds = read(ct_report([ct_acquisition("1.1", 10.0, 300.0), ct_acquisition("1.2", 20.0, 500.0)]))
    result = parse_rdsr(ds)
    assert result.kind is ReportKind.CT and result.modality == "CT"
    assert result.accumulated[0].dlp_total_mgy_cm == 800.0
    assert result.accumulated[0].event_count == 2
    first = result.events[0]
    assert (first.irradiation_event_uid, first.event_type, first.ctdivol_mgy, first.dlp_mgy_cm) == (
        "1.1",
        "spiral",
        10.0,
        300.0,
    )
    assert (first.kvp, first.tube_current_ma, first.max_tube_current_ma, first.ctdi_phantom) == (
        120.0,
        200.0,
        250.0,
        "body32",
    )
    assert (first.exposure_time_s, first.scanning_length_mm, first.pitch_factor, first.number_of_sources) == (
        5.0,
        400.0,
        0.9,
        1,
    )
    assert result.device.device_observer_uid == "1.2.3.4"
    assert result.device.model == "Scanner X"
    assert result.patient.sex == "F" and result.patient.age_years == 45
    assert result.warnings == []


def test_size_specific_dose_and_effective_dose() -> None:
    acquisition = ct_acquisition("1.1")
    dose = acquisition.ContentSequence[-1]
    dose.ContentSequence.append(num("113839", 4.2, "mSv"))
    dose.ContentSequence.append(
        num("113930", 13.5, "mGy", children=[num("113980", 27.5, "cm", relationship="INFERRED FROM")])
    )
    event = parse_rdsr(roundtrip(ct_report([acquisition]), ExplicitVRLittleEndian)).events[0]
    assert (event.effective_dose_msv, event.ssde_mgy) == (4.2, 13.5)
    assert event.water_equivalent_diameter_mm == pytest.approx(275.0)  # 27.5 cm


def test_current_snomed_ct_codes_read_like_legacy_ones() -> None:
    legacy = parse_rdsr(ct_report([ct_acquisition("1.1")]))
    current = parse_rdsr(
        ct_report([ct_acquisition("1.1", acq_type=("116152004", "SCT"))], ("77477000", "SCT"))
    )
    assert current.kind is ReportKind.CT
    assert current.events[0].event_type == legacy.events[0].event_type == "spiral"


def test_localizer_without_ct_dose_container() -> None:
    localizer = ct_acquisition("1.1", ctdivol=None, acq_type=("113805", "DCM"))
    result = parse_rdsr(ct_report([localizer, ct_acquisition("1.2")]))
    assert result.events[0].event_type == "constant_angle"
    assert result.events[0].ctdivol_mgy is None and result.events[0].dlp_mgy_cm is None


def test_ct_without_procedure_code_is_recognised_by_its_acquisitions() -> None:
    ds = ct_report([ct_acquisition("1.1")])
    ds.ContentSequence = Sequence(
        [c for c in ds.ContentSequence if c.ConceptNameCodeSequence[0].CodeValue != "121058"]
    )
    assert parse_rdsr(ds).kind is ReportKind.CT


def test_event_without_uid_rejects_the_report(read: Callable[[Dataset], Dataset]) -> None:
    with pytest.raises(RejectedInput) as caught:
        parse_rdsr(read(ct_report([ct_acquisition("1.1"), ct_acquisition(None)])))
    assert caught.value.field_name == "Irradiation Event UID (DCM 113769)"
    assert "CT acquisition 2" in caught.value.reason


def test_missing_study_instance_uid_rejects_the_report() -> None:
    ds = ct_report([ct_acquisition("1.1")])
    del ds.StudyInstanceUID
    with pytest.raises(RejectedInput) as caught:
        parse_rdsr(ds)
    assert caught.value.field_name is not None and "StudyInstanceUID" in caught.value.field_name


def test_unknown_unit_rejects_the_report_naming_concept_and_unit(read: Callable[[Dataset], Dataset]) -> None:
    with pytest.raises(RejectedInput) as caught:
        parse_rdsr(read(ct_report([ct_acquisition("1.1", dlp_unit="mSv")])))
    assert caught.value.field_name == "DLP (DCM 113838)"
    assert "'mSv'" in caught.value.reason


def test_repeated_event_uid_keeps_the_first() -> None:
    result = parse_rdsr(ct_report([ct_acquisition("1.1", 10, 300), ct_acquisition("1.1", 20, 500)]))
    assert [e.dlp_mgy_cm for e in result.events] == [300.0]
    assert any("1.1 repeated" in w for w in result.warnings)


def test_uid_sent_as_text_is_accepted() -> None:
    acquisition = ct_acquisition(None, extra=[text("113769", "1.2.840.99")])
    assert parse_rdsr(ct_report([acquisition])).events[0].irradiation_event_uid == "1.2.840.99"


def test_non_standard_value_types_are_read_and_reported(read: Callable[[Dataset], Dataset]) -> None:
    acquisition = ct_acquisition("1.1")
    acquisition.ContentSequence[1].ValueType = "HAS CONCEPT MOD"  # Target Region, a CODE item
    person = content("113870", "PERSON NAME", PersonName="Staff^One")
    ds = ct_report([acquisition])
    ds.ContentSequence.append(person)
    result = parse_rdsr(read(ds))
    assert result.events[0].target_region == "Abdomen"
    assert any("'HAS CONCEPT MOD'; read as CODE" in w for w in result.warnings)
    assert any("'PERSON NAME'; read as PNAME" in w for w in result.warnings)


def test_dose_check_notification_with_reason_for_proceeding() -> None:
    notification = container(
        "113908",
        [
            coded("113909", "R-0038D", "SRT"),
            coded("113910", "R-00339", "SRT"),
            num("113911", 1000, "mGy.cm"),
            num("113913", 1200, "mGy.cm"),
            text("113907", "Obese patient"),
        ],
    )
    acquisition = ct_acquisition("1.1")
    acquisition.ContentSequence[-1].ContentSequence.append(notification)
    event = parse_rdsr(ct_report([acquisition])).events[0]
    assert event.dose_check_notification is True
    assert event.dose_check_alert is None  # no alert details at all
    assert event.dose_check == {
        "notification": {
            "dlp_value_configured": True,
            "ctdivol_value_configured": False,
            "dlp_notification_value_mgy_cm": 1000.0,
            "dlp_forward_estimate_mgy_cm": 1200.0,
            "reason_for_proceeding": "Obese patient",
        }
    }


def test_phantom_named_in_a_private_code() -> None:
    acquisition = ct_acquisition("1.1")
    dose = acquisition.ContentSequence[-1]
    dose.ContentSequence[1] = coded("113835", "P1", "99VENDOR", "Head 16cm")
    assert parse_rdsr(ct_report([acquisition])).events[0].ctdi_phantom == "head16"


def test_device_participant_other_than_the_observer() -> None:
    participant = coded(
        "113876",
        "113859",
        children=[
            text("113878", "Other Maker", relationship="HAS PROPERTIES"),
            text("113880", "SN2", relationship="HAS PROPERTIES"),
        ],
    )
    result = parse_rdsr(ct_report([ct_acquisition("1.1", extra=[participant])]))
    assert (result.device.manufacturer, result.device.serial_number) == ("Other Maker", "SN2")
    assert result.device.device_observer_uid is None
    assert any("irradiating device differs" in w for w in result.warnings)


# -- projection ----------------------------------------------------------------------------------------
def test_biplane_report_keeps_planes_apart(read: Callable[[Dataset], Dataset]) -> None:
    ds = report(
        "113701",
        [
            procedure("113704", "DCM"),
            coded("122142", "113957", relationship="HAS CONCEPT MOD"),
            *observer(),
            accumulated_plane("113620", 3e-4, 0.010, 60.0),
            accumulated_plane("113621", 1e-4, 0.004, 30.0),
            projection_event("2.1", plane="113620", dap_gy_m2=3e-4),
            projection_event("2.2", ("113613", "DCM"), plane="113621", dap_gy_m2=1e-4),
        ],
    )
    result = parse_rdsr(read(ds))
    # Biplane: only a C-arm angiography system has a plane B, so the exam is XA.
    assert result.kind is ReportKind.PROJECTION and result.modality == "XA"
    plane_a, plane_b = result.accumulated
    assert (plane_a.plane, plane_a.fluoro_time_total_s, plane_b.plane) == ("plane_a", 60.0, "plane_b")
    assert plane_a.dap_total_gy_cm2 == pytest.approx(3.0)  # 3e-4 Gy.m2
    assert plane_a.kar_total_mgy == pytest.approx(10.0)  # 0.010 Gy
    assert plane_b.dap_total_gy_cm2 == pytest.approx(1.0)
    assert plane_a.reference_point_definition == "15 cm from isocenter toward source"
    # Planes add up for DAP (domain/totals.py).
    assert reported_totals(result.accumulated).total_dap_gy_cm2 == pytest.approx(4.0)
    fluoro, rotational = result.events
    assert (fluoro.acquisition_plane, fluoro.event_type, fluoro.fluoro_time_s) == (
        "plane_a",
        "fluoroscopy",
        4.0,
    )
    assert (rotational.acquisition_plane, rotational.event_type, rotational.fluoro_time_s) == (
        "plane_b",
        "rotational_acquisition",
        None,
    )
    assert fluoro.exposure_time_s == pytest.approx(3.5)  # 3500 ms
    assert fluoro.exposure_mas == pytest.approx(1.5)  # 1500 uA.s
    assert fluoro.kar_mgy == pytest.approx(2.0)  # 0.002 Gy
    assert all(e.modality == "XA" for e in result.events)


@pytest.mark.parametrize(
    ("declared", "device_type", "event_type", "expected"),
    [
        ("SR", None, ("P5-06000", "SRT"), "RF"),
        ("SR", None, ("44491008", "SCT"), "RF"),
        ("SR", None, ("113611", "DCM"), "DX"),
        ("SR", "113959", ("113611", "DCM"), "CR"),
        ("SR", "113957", ("113611", "DCM"), "RF"),
        ("XA", None, ("P5-06000", "SRT"), "XA"),
    ],
)
def test_projection_modality(
    declared: str, device_type: str | None, event_type: tuple[str, str], expected: str
) -> None:
    children = [procedure("113704", "DCM"), *observer(), projection_event("3.1", event_type)]
    if device_type:
        children.insert(1, coded("122142", device_type))
    result = parse_rdsr(report("113701", children, modality=declared))
    assert result.modality == expected
    assert result.events[0].modality == expected


def test_fluoroscopy_time_falls_back_to_exposure_time() -> None:
    event = projection_event("3.1")
    event.ContentSequence = Sequence(
        [c for c in event.ContentSequence if c.ConceptNameCodeSequence[0].CodeValue != "113742"]
    )
    result = parse_rdsr(report("113701", [procedure("113704", "DCM"), event]))
    assert result.events[0].fluoro_time_s == pytest.approx(3.5)


def test_mammography_laterality_view_and_filters(read: Callable[[Dataset], Dataset]) -> None:
    event = projection_event(
        "4.1",
        ("113611", "DCM"),
        extra=[
            coded(
                ("91723000", "SCT"),
                "76752008",
                "SCT",
                "Breast",
                children=[
                    coded(("272741003", "SCT"), "7771000", "SCT", "Left", relationship="HAS CONCEPT MOD")
                ],
            ),
            coded("111031", "399368009", "SCT", "medio-lateral oblique"),
            num("111631", 1.4, "mGy"),
            num("111636", 5.2, "mGy"),
            num("111633", 52, "mm"),
            coded("111632", "26194003", "SCT", "Tungsten"),
            container(
                "113771",
                [
                    coded("113757", "59801003", "SCT", "Rhodium"),
                    num("113758", 0.05, "mm"),
                    num("113773", 0.05, "mm"),
                ],
            ),
            container(
                "113771",
                [
                    coded("113757", "12503006", "SCT", "Aluminum"),
                    num("113758", 0.5, "mm"),
                    num("113773", 0.7, "mm"),
                ],
            ),
        ],
    )
    agd = container(
        "113702",
        [
            num(
                "111637",
                1.4,
                "mGy",
                children=[
                    coded(
                        ("272741003", "SCT"), "80248007", "SCT", "Left breast", relationship="HAS CONCEPT MOD"
                    )
                ],
            ),
            num(
                "111637",
                0.0,
                "mGy",
                children=[
                    coded(
                        ("272741003", "SCT"),
                        "73056007",
                        "SCT",
                        "Right breast",
                        relationship="HAS CONCEPT MOD",
                    )
                ],
            ),
        ],
    )
    result = parse_rdsr(read(report("113701", [procedure("71651007", "SCT"), agd, event])))
    assert result.kind is ReportKind.MAMMOGRAPHY and result.modality == "MG"
    assert (result.accumulated[0].agd_left_mgy, result.accumulated[0].agd_right_mgy) == (1.4, 0.0)
    mg = result.events[0]
    assert (mg.laterality, mg.view, mg.anode_target, mg.body_part) == ("L", "MLO", "W", "Breast")
    assert (mg.agd_mgy, mg.entrance_dose_mgy, mg.compression_thickness_mm) == (1.4, 5.2, 52.0)
    assert mg.filters == "Rh 0.05 mm; Al 0.5-0.7 mm"


# -- radiopharmaceutical -----------------------------------------------------------------------------------
def rrdsr(administration: Dataset) -> Dataset:
    characteristics = container(
        "121118",
        [
            num("121033", 63, "a"),
            coded("121032", "F", "DCM", "Female"),
            num(("8302-2", "LN"), 165, "cm"),
            num(("29463-7", "LN"), 70, "kg"),
        ],
    )
    return report("113500", [administration, characteristics], sop_class=RADIOPHARMACEUTICAL_SR)


def test_radiopharmaceutical_administration(read: Callable[[Dataset], Dataset]) -> None:
    administration = container(
        "113502",
        [
            coded(
                ("349358000", "SCT"),
                "C-B1031",
                "SRT",
                "Fluorodeoxyglucose F^18^",
                children=[
                    coded(
                        ("89457008", "SCT"), "C-111A1", "SRT", "^18^Fluorine", relationship="HAS PROPERTIES"
                    ),
                    num(("304283002", "SCT"), 109.77, "min", relationship="HAS PROPERTIES"),
                ],
            ),
            uid("113503", "5.1"),
            content("123003", "DATETIME", DateTime="20240102093000"),
            num("113507", 10, "mCi"),
            coded(("410675002", "SCT"), "47625008", "SCT", "Intravenous route"),
        ],
    )
    result = parse_rdsr(read(rrdsr(administration)))
    assert result.kind is ReportKind.RADIOPHARMACEUTICAL and result.modality == "PT"  # fluorine-18
    (admin,) = result.administrations
    assert admin.event_uid == "5.1"
    assert admin.activity_mbq == pytest.approx(370.0)  # 10 mCi
    assert admin.radionuclide_half_life_s == pytest.approx(109.77 * 60)
    assert (admin.radionuclide, admin.pharmaceutical, admin.route) == (
        "^18^Fluorine",
        "Fluorodeoxyglucose F^18^",
        "Intravenous route",
    )
    assert admin.start_datetime is not None and admin.start_datetime.hour == 9
    # TID 10024 overrides the header (which says 45 years).
    assert (result.patient.age_years, result.patient.sex, result.patient.weight_kg) == (63.0, "F", 70.0)
    assert result.patient.height_m == pytest.approx(1.65)


def test_administration_without_uid_rejects_the_report() -> None:
    with pytest.raises(RejectedInput) as caught:
        parse_rdsr(rrdsr(container("113502", [num("113507", 200, "MBq")])))
    assert caught.value.field_name == "Radiopharmaceutical Administration Event UID (DCM 113503)"


# -- SOP classes and roots -----------------------------------------------------------------------------
def test_sop_classes_and_roots() -> None:
    ct = ct_report([ct_acquisition("1.1")])
    assert is_dose_sr(ct)
    ct.SOPClassUID = ENHANCED_SR  # older GE CT scanners
    assert is_dose_sr(ct)
    assert parse_rdsr(ct).kind is ReportKind.CT
    ct.SOPClassUID = "1.2.840.10008.5.1.4.1.1.88.76"  # Enhanced X-Ray Radiation Dose SR with a classic tree
    assert parse_rdsr(ct).events[0].dlp_mgy_cm == 300.0
    enhanced = report("113701", [procedure("113704", "DCM"), container("130000", [])])
    enhanced.SOPClassUID = "1.2.840.10008.5.1.4.1.1.88.76"  # the newer TID 10040 tree: not read yet
    with pytest.raises(RejectedInput, match="TID 10040"):
        parse_rdsr(enhanced)

    other = report(("18748-4", "LN"), [text("121106", "no dose here")], sop_class=ENHANCED_SR)
    assert not is_dose_sr(other)
    with pytest.raises(NotDoseRelevant):
        parse_rdsr(other)
    other.SOPClassUID = XRAY_DOSE_SR  # a dose SR class with a root nobody knows
    with pytest.raises(RejectedInput):
        parse_rdsr(other)
    patient_dose = report("128401", [], sop_class="1.2.840.10008.5.1.4.1.1.88.73")
    assert not is_dose_sr(patient_dose)
    with pytest.raises(NotDoseRelevant):
        parse_rdsr(patient_dose)
    image = Dataset()
    image.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    assert not is_dose_sr(image)
    with pytest.raises(NotDoseRelevant):
        parse_rdsr(image)
