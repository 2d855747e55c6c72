"""The RDSR parser on every dose SR of the shared corpus, checked against an independent reading.

The independent reading is dcmtk's ``dsr2xml`` (a C++ SR reader that shares no code with Kerma); numbers
are taken from its XML with ElementTree and converted here with hand-written factors for the units the
files declare, so a unit the parser mis-converts, an event it misses or a value read from the wrong
item shows up as a difference. All corpus files are accepted by dsr2xml 3.6.7 with the lenient flags
below; values that dsr2xml cannot give (files it would refuse) would have to be worked out by hand.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from statistics import fmean

import pydicom
import pytest

from kerma.domain.model import DoseReport, NotDoseRelevant, ReportKind
from kerma.domain.totals import combine, summarise
from kerma.ingest.rdsr import is_dose_sr, parse_rdsr
from tests.conftest import corpus_path

pytestmark = pytest.mark.corpus

# Every dose SR of the corpus with the exam modality it reports (CT RDSRs, projection RDSRs of
# radiography, fluoroscopy and mammography systems, one radiopharmaceutical RDSR, one private summary).
DOSE_SRS: dict[str, str] = {
    "CT-ESR-GE_VCT.dcm": "CT",
    "CT-RDSR-GEPixelMed.dcm": "CT",
    "CT-RDSR-Siemens-Continued-1.dcm": "CT",
    "CT-RDSR-Siemens-Continued-2.dcm": "CT",
    "CT-RDSR-Siemens-Multi-1.dcm": "CT",
    "CT-RDSR-Siemens-Multi-2.dcm": "CT",
    "CT-RDSR-Siemens-Multi-3.dcm": "CT",
    "CT-RDSR-Siemens_Flash-QA-DS.dcm": "CT",
    "CT-RDSR-Siemens_Flash-TAP-SS.dcm": "CT",
    "CT-RDSR-ToshibaPixelMed.dcm": "CT",
    "CT-RDSR-Toshiba_DoseCheck.dcm": "CT",
    "NM-CT-RDSR-Siemens.dcm": "CT",
    "DX-RDSR-Canon_CXDI.dcm": "DX",
    "DX-RDSR-Carestream_DRXEvolution.dcm": "DX",
    "Dual-RDSR-DX.dcm": "DX",
    "Dual-RDSR-RF.dcm": "RF",
    "MG-RDSR-GEPristina-2D.dcm": "MG",
    "MG-RDSR-Hologic_2D.dcm": "MG",
    "MG-RDSR-Hologic_mix.dcm": "MG",
    "NM-RRDSR-Siemens.dcm": "PT",
    "RF-ESR-Siemens-Varic.dcm": "RF",
    "RF-Pat-Orientation-Modifier-Missing.dcm": "RF",
    "RF-RDSR-Canon-Alphenix-rotational.dcm": "XA",  # rotational runs: a C-arm angiography system
    "RF-RDSR-GE.dcm": "RF",
    "RF-RDSR-Philips_Allura.dcm": "RF",
    "RF-RDSR-Philips_Azurion.dcm": "RF",
    "RF-RDSR-Siemens-Zee.dcm": "RF",
    "RF-RDSR-Siemens-Zee_adjusted.dcm": "RF",
}
CT_FILES = [f for f, m in DOSE_SRS.items() if m == "CT"]
PROJECTION_FILES = [f for f, m in DOSE_SRS.items() if m in ("DX", "RF", "XA", "MG") and "Varic" not in f]

# Hand-written conversions from the units the files declare to Kerma's canonical units.
DLP_MGY_CM = {"mGy.cm": 1.0, "mGycm": 1.0}
DOSE_MGY = {"mGy": 1.0, "Gy": 1000.0}
DAP_GY_CM2 = {"Gy.m2": 10_000.0, "Gym2": 10_000.0}
TIME_S = {"s": 1.0, "ms": 0.001}
CHARGE_MAS = {"uA.s": 0.001, "uAs": 0.001}
LENGTH_MM = {"mm": 1.0}
AREA_CM2 = {"m2": 10_000.0}
PLAIN = {"kV": 1.0, "mA": 1.0, "1": 1.0, "{ratio}": 1.0, "MBq": 1.0, "deg": 1.0}

CT_TYPES = {
    ("SRT", "P5-08001"): "spiral",
    ("DCM", "113804"): "sequenced",
    ("DCM", "113805"): "constant_angle",
    ("DCM", "113806"): "stationary",
}
PROJECTION_TYPES = {
    ("SRT", "P5-06000"): "fluoroscopy",
    ("DCM", "113611"): "stationary_acquisition",
    ("DCM", "113613"): "rotational_acquisition",
}

DSR2XML = ["dsr2xml", "-Ee", "-Ec", "-Er", "-Ev", "+Ca", "latin-1", "+Ec", "+Er", "+Ev"]


# -- the independent reading ----------------------------------------------------------------------------
def dsr2xml(path: Path) -> ET.Element:
    """The root content item of dsr2xml's XML for a file."""
    if shutil.which("dsr2xml") is None:
        pytest.skip("dcmtk's dsr2xml is not installed")
    done = subprocess.run([*DSR2XML, str(path)], capture_output=True, check=True, timeout=60)
    item = ET.fromstring(done.stdout).find("./document/content/item")
    assert item is not None, f"dsr2xml gave no content for {path.name}"
    return item


@functools.cache
def xml_content(name: str) -> ET.Element:
    """dsr2xml's reading of a corpus file."""
    return dsr2xml(corpus_path(name))


@functools.cache
def dataset(name: str) -> pydicom.Dataset:
    """A corpus file read once for the whole module (the large ones take a second or two)."""
    return pydicom.dcmread(corpus_path(name))


@functools.cache
def parsed(name: str) -> DoseReport:
    return parse_rdsr(dataset(name))


def concept(item: ET.Element) -> tuple[str, str]:
    c = item.find("concept")
    assert c is not None
    return (c.get("codScheme", ""), c.get("codValue", ""))


def items(parent: ET.Element, code: str, scheme: str = "DCM") -> list[ET.Element]:
    """Descendant items with a concept, in document order."""
    return [i for i in parent.iter("item") if i is not parent and concept(i) == (scheme, code)]


def children(parent: ET.Element, code: str, scheme: str = "DCM") -> list[ET.Element]:
    return [i for i in parent.findall("item") if concept(i) == (scheme, code)]


def number(item: ET.Element | None, factors: dict[str, float]) -> float | None:
    """A NUM item's value times the hand-written factor for its declared unit (None if no value)."""
    if item is None:
        return None
    value, unit = item.find("value"), item.find("unit")
    if value is None or not (value.text or "").strip():
        return None
    assert unit is not None
    return float(value.text or "") * factors[unit.get("codValue", "")]


def first_number(
    parent: ET.Element, code: str, factors: dict[str, float], scheme: str = "DCM"
) -> float | None:
    found = items(parent, code, scheme)
    return number(found[0], factors) if found else None


def text_value(item: ET.Element) -> str:
    value = item.find("value")
    assert value is not None
    return (value.text or "").strip()


def coded_value(item: ET.Element) -> tuple[str, str]:
    value = item.find("value")
    assert value is not None
    return (value.get("codScheme", ""), value.get("codValue", ""))


def approx(expected: float | None) -> object:
    return None if expected is None else pytest.approx(expected, rel=1e-9, abs=1e-12)


# -- every file --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(DOSE_SRS))
def test_every_dose_sr_parses_with_its_exam_modality(name: str) -> None:
    ds = dataset(name)
    assert is_dose_sr(ds)
    report = parsed(name)
    assert report.modality == DOSE_SRS[name]
    assert report.study.study_instance_uid == ds.StudyInstanceUID
    assert report.sop_instance_uid == ds.SOPInstanceUID
    assert all(e.modality == report.modality for e in report.events)
    # Each event once: the corpus has no report that repeats an Irradiation Event UID.
    assert len({e.irradiation_event_uid for e in report.events}) == len(report.events)


def test_every_sr_of_the_manifest_is_covered() -> None:
    manifest = corpus_path().parent / "MANIFEST.md"
    if not manifest.exists():
        pytest.skip("corpus manifest not found")
    rows = [line.split("|") for line in manifest.read_text().splitlines() if line.startswith("| ")]
    srs = {cells[1].strip() for cells in rows if len(cells) > 5 and " SR " in f" {cells[5].strip()} "}
    assert srs == set(DOSE_SRS) | {"ESR_non-dose.dcm"}


def test_a_diagnostic_report_is_not_dose_relevant() -> None:
    ds = pydicom.dcmread(corpus_path("ESR_non-dose.dcm"))
    assert not is_dose_sr(ds)
    with pytest.raises(NotDoseRelevant):
        parse_rdsr(ds)


# -- CT ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", CT_FILES)
def test_ct_totals_and_events_match_dsr2xml(name: str) -> None:
    content, report = xml_content(name), parsed(name)
    assert report.kind is ReportKind.CT
    (accumulated,) = children(content, "113811")
    assert report.accumulated[0].dlp_total_mgy_cm == approx(first_number(accumulated, "113813", DLP_MGY_CM))
    assert report.accumulated[0].event_count == first_number(accumulated, "113812", {"{events}": 1.0})

    acquisitions = children(content, "113819")
    assert len(report.events) == len(acquisitions)
    for event, xml in zip(report.events, acquisitions, strict=True):
        assert event.irradiation_event_uid == text_value(items(xml, "113769")[0])
        acq_type = items(xml, "113820")
        assert event.event_type == (CT_TYPES[coded_value(acq_type[0])] if acq_type else None)
        # Localizers often have no CT Dose container: not reported, not zero.
        assert event.ctdivol_mgy == approx(first_number(xml, "113830", DOSE_MGY))
        assert event.dlp_mgy_cm == approx(first_number(xml, "113838", DLP_MGY_CM))
        assert event.scanning_length_mm == approx(first_number(xml, "113825", LENGTH_MM))
        assert event.exposure_time_s == approx(first_number(xml, "113824", TIME_S))
        assert event.pitch_factor == approx(first_number(xml, "113828", PLAIN))
        assert event.nominal_total_collimation_mm == approx(first_number(xml, "113827", LENGTH_MM))
        assert event.kvp == approx(first_number(xml, "113733", PLAIN))
        currents = [number(i, PLAIN) for i in items(xml, "113734")]
        assert event.tube_current_ma == approx(
            fmean(c for c in currents if c is not None) if currents else None
        )
        maxima = [number(i, PLAIN) for i in items(xml, "113833")]
        assert event.max_tube_current_ma == approx(
            max(m for m in maxima if m is not None) if maxima else None
        )
        phantom = items(xml, "113835")
        expected_phantom = (
            {"113690": "head16", "113691": "body32"}[coded_value(phantom[0])[1]] if phantom else None
        )
        assert event.ctdi_phantom == expected_phantom


def test_ct_reported_total_equals_sum_of_events_in_every_ct_file() -> None:
    for name in CT_FILES:
        report = parsed(name)
        total = sum(e.dlp_mgy_cm or 0.0 for e in report.events)
        assert total == pytest.approx(report.accumulated[0].dlp_total_mgy_cm, abs=0.01), name


def test_siemens_cumulative_reports_supersede_each_other() -> None:
    # The scanner resent the study's RDSR after each acquisition: 1, 2, then 3 events. DLP totals as
    # given in the project's reference (standards.md, section 1.15): 7.46, 77.27, 236.09 mGy.cm.
    reports = [parsed(f"CT-RDSR-Siemens-Multi-{n}.dcm") for n in (1, 2, 3)]
    assert [len(r.events) for r in reports] == [1, 2, 3]
    assert [r.accumulated[0].dlp_total_mgy_cm for r in reports] == [7.46, 77.27, 236.09]
    uids = [{e.irradiation_event_uid for e in r.events} for r in reports]
    assert uids[0] < uids[1] < uids[2]
    result = combine([summarise(r, received_order=i) for i, r in enumerate(reports)])
    assert result.totals.total_dlp_mgy_cm == pytest.approx(236.09)
    assert result.counted_objects == [reports[2].sop_instance_uid]


def test_siemens_continued_reports_add_up() -> None:
    # One study, two RDSRs with different events (60.17 + 56.44 mGy.cm, standards.md section 1.15).
    first, second = parsed("CT-RDSR-Siemens-Continued-1.dcm"), parsed("CT-RDSR-Siemens-Continued-2.dcm")
    assert first.study.study_instance_uid == second.study.study_instance_uid
    assert not {e.irradiation_event_uid for e in first.events} & {
        e.irradiation_event_uid for e in second.events
    }
    result = combine([summarise(first, received_order=0), summarise(second, received_order=1)])
    assert result.totals.total_dlp_mgy_cm == pytest.approx(60.17 + 56.44)


def test_toshiba_dose_check_alert() -> None:
    content, report = xml_content("CT-RDSR-Toshiba_DoseCheck.dcm"), parsed("CT-RDSR-Toshiba_DoseCheck.dcm")
    for event, xml in zip(report.events, children(content, "113819"), strict=True):
        (alert,) = items(xml, "113900")
        assert event.dose_check_alert is True  # configured and exceeded: a forward estimate is present
        assert event.dose_check_notification is False  # notification values not configured
        assert event.dose_check is not None
        details = event.dose_check["alert"]
        assert details["dlp_alert_value_mgy_cm"] == first_number(alert, "113903", DLP_MGY_CM)
        assert details["ctdivol_alert_value_mgy"] == first_number(alert, "113904", DOSE_MGY)
        assert details["accumulated_dlp_forward_estimate_mgy_cm"] == first_number(alert, "113905", DLP_MGY_CM)
    # 251.2 then 502.4 mGy.cm: the accumulated estimate grows with the second acquisition.
    assert [e.dose_check["alert"]["accumulated_dlp_forward_estimate_mgy_cm"] for e in report.events] == [  # type: ignore[index]
        251.2,
        502.4,
    ]
    assert "accumulated_ctdivol_forward_estimate_mgy" in report.events[1].dose_check["alert"]  # type: ignore[index]


def test_siemens_alert_configured_but_not_exceeded() -> None:
    report = parsed("CT-RDSR-Siemens-Multi-1.dcm")
    (event,) = report.events
    assert event.dose_check_alert is False
    assert event.dose_check == {
        "alert": {
            "dlp_value_configured": False,
            "ctdivol_value_configured": True,
            "ctdivol_alert_value_mgy": 1000.0,
        },
        "notification": {"dlp_value_configured": False, "ctdivol_value_configured": False},
    }


def test_dual_source_ct_keeps_each_source() -> None:
    content, report = (
        xml_content("CT-RDSR-Siemens_Flash-QA-DS.dcm"),
        parsed("CT-RDSR-Siemens_Flash-QA-DS.dcm"),
    )
    event, xml = report.events[0], children(content, "113819")[0]
    sources = items(xml, "113831")
    assert event.number_of_sources == len(sources) == 2
    assert [s["kvp"] for s in event.extra["sources"]] == [first_number(s, "113733", PLAIN) for s in sources]
    assert event.kvp == first_number(sources[0], "113733", PLAIN)


def test_localizer_without_ct_dose_is_not_reported() -> None:
    report = parsed("CT-RDSR-Siemens-Multi-3.dcm")
    localizer = report.events[0]
    assert localizer.event_type == "constant_angle"
    # Multi-3's topogram does have a CT Dose container; GE's VCT localizers do not.
    vct = parsed("CT-ESR-GE_VCT.dcm")
    localizers = [e for e in vct.events if e.event_type == "constant_angle"]
    assert localizers and all(e.ctdivol_mgy is None and e.dlp_mgy_cm is None for e in localizers)


def test_enhanced_sr_ct_report_and_non_ucum_units() -> None:
    report = parsed("CT-ESR-GE_VCT.dcm")
    assert report.sop_class_uid == "1.2.840.10008.5.1.4.1.1.88.22"
    assert report.accumulated[0].dlp_total_mgy_cm == 2002.39  # declared in 'mGycm'
    assert any("SOP class" in w for w in report.warnings)


# -- projection ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", PROJECTION_FILES)
def test_projection_totals_and_events_match_dsr2xml(name: str) -> None:
    check_projection(xml_content(name), parsed(name))


def check_projection(content: ET.Element, report: DoseReport) -> None:
    """Every plane's totals and every event's main values against dsr2xml's reading."""
    planes = children(content, "113702")
    assert len(report.accumulated) == len(planes)
    for total, xml in zip(report.accumulated, planes, strict=True):
        assert total.dap_total_gy_cm2 == approx(first_number(xml, "113722", DAP_GY_CM2))
        assert total.kar_total_mgy == approx(first_number(xml, "113725", DOSE_MGY))
        assert total.fluoro_dap_total_gy_cm2 == approx(first_number(xml, "113726", DAP_GY_CM2))
        assert total.acquisition_dap_total_gy_cm2 == approx(first_number(xml, "113727", DAP_GY_CM2))
        assert total.fluoro_kar_total_mgy == approx(first_number(xml, "113728", DOSE_MGY))
        assert total.acquisition_kar_total_mgy == approx(first_number(xml, "113729", DOSE_MGY))
        assert total.fluoro_time_total_s == approx(first_number(xml, "113730", TIME_S))
        assert total.acquisition_time_total_s == approx(first_number(xml, "113855", TIME_S))
        assert total.total_frames == approx(first_number(xml, "113731", PLAIN))
        for agd in items(xml, "111637"):
            side = coded_value(items(agd, "G-C171", "SRT")[0])
            expected = number(agd, DOSE_MGY)
            assert {("SRT", "T-04030"): total.agd_left_mgy, ("SRT", "T-04020"): total.agd_right_mgy}[
                side
            ] == expected

    events = children(content, "113706")
    assert len(report.events) == len(events)
    for event, xml in zip(report.events, events, strict=True):
        assert event.irradiation_event_uid == text_value(items(xml, "113769")[0])
        assert event.event_type == PROJECTION_TYPES[coded_value(items(xml, "113721")[0])]
        assert event.dap_gy_cm2 == approx(first_number(xml, "122130", DAP_GY_CM2))
        assert event.kar_mgy == approx(first_number(xml, "113738", DOSE_MGY))
        assert event.kvp == approx(first_number(xml, "113733", PLAIN))
        exposure_time = first_number(xml, "113824", TIME_S)
        if exposure_time is None:
            exposure_time = first_number(xml, "113735", TIME_S)  # the retired code
        assert event.exposure_time_s == approx(exposure_time)
        assert event.exposure_mas == approx(first_number(xml, "113736", CHARGE_MAS))
        duration = first_number(xml, "113742", TIME_S)
        assert event.irradiation_duration_s == approx(duration)
        if event.event_type == "fluoroscopy":
            assert event.fluoro_time_s == approx(duration if duration is not None else exposure_time)
        else:
            assert event.fluoro_time_s is None
        assert event.agd_mgy == approx(first_number(xml, "111631", DOSE_MGY))
        assert event.entrance_dose_mgy == approx(first_number(xml, "111636", DOSE_MGY))
        assert event.compression_thickness_mm == approx(first_number(xml, "111633", LENGTH_MM))
        assert event.collimated_field_area_cm2 == approx(first_number(xml, "113790", AREA_CM2))
        assert event.distance_source_to_detector_mm == approx(first_number(xml, "113750", LENGTH_MM))
        assert event.positioner_primary_angle_deg == approx(first_number(xml, "112011", PLAIN))
        assert event.pulse_width_ms == approx(first_number(xml, "113793", {"ms": 1.0}))
        assert event.number_of_pulses == approx(first_number(xml, "113768", PLAIN))


def test_projection_reported_totals_agree_with_events() -> None:
    for name in PROJECTION_FILES:
        report = parsed(name)
        dap_events = [e.dap_gy_cm2 for e in report.events if e.dap_gy_cm2 is not None]
        total = sum(a.dap_total_gy_cm2 or 0.0 for a in report.accumulated)
        if dap_events and total:
            # Within 2 %: Dual-RDSR-RF reports 0.0212 Gy.cm2 for events that add up to 0.0209.
            assert sum(dap_events) == pytest.approx(total, rel=0.02), name


def test_mammography_agd_per_breast_and_events() -> None:
    report = parsed("MG-RDSR-Hologic_2D.dcm")
    assert report.kind is ReportKind.MAMMOGRAPHY
    # From dsr2xml: 111637 1.30 mGy (T-04030 left breast), 1.28 mGy (T-04020 right breast).
    assert (report.accumulated[0].agd_left_mgy, report.accumulated[0].agd_right_mgy) == (1.30, 1.28)
    left, right = report.events
    assert (left.laterality, left.view, left.agd_mgy, left.anode_target) == ("L", "CC", 1.30, "W")
    assert (right.laterality, right.agd_mgy, right.compression_thickness_mm) == ("R", 1.28, 43.0)
    assert left.filters == "Rh 0.05 mm"
    assert left.exposure_mas == pytest.approx(90.2)  # 90200 uAs


def test_fluoroscopy_filters_and_geometry() -> None:
    report = parsed("RF-RDSR-Philips_Allura.dcm")
    fluoro = report.events[0]
    assert fluoro.event_type == "fluoroscopy"
    assert fluoro.filters == "Cu 0.4 mm; Al 1 mm"
    assert fluoro.fluoro_mode == "pulsed"
    assert fluoro.fluoro_time_s == 13.066  # its Irradiation Duration
    assert fluoro.reference_point_definition == "15cm below BeamIsocenter"  # written as TEXT
    ge = parsed("RF-RDSR-GE.dcm")
    # GE writes positioner angles as NUM items without a measured value: not reported.
    assert ge.events[0].positioner_primary_angle_deg is None
    assert ge.events[0].filters == "Al 6-7.2 mm"
    assert ge.device.device_observer_uid == "1.3.6.1.4.1.45593.912345678.9876543123"  # sent as TEXT


def test_dx_exposure_index_and_missing_measured_values() -> None:
    carestream = parsed("DX-RDSR-Carestream_DRXEvolution.dcm")
    first = carestream.events[0]
    assert (first.exposure_index, first.target_exposure_index, first.deviation_index) == (
        662.18,
        226.22,
        4.66,
    )
    canon = parsed("DX-RDSR-Canon_CXDI.dcm")
    # Canon sends Dose (RP) NUM items without a Measured Value Sequence.
    assert canon.accumulated[0].kar_total_mgy is None and canon.events[0].kar_mgy is None
    assert canon.accumulated[0].dap_total_gy_cm2 == pytest.approx(0.107)  # 1.07E-05 Gy.m2


def test_undefined_length_sequences_are_read() -> None:
    # Implicit VR with undefined lengths throughout (37 600 sequences), and two explicit-VR files that
    # mix defined and undefined lengths; their totals are checked against dsr2xml above.
    for name, events in (
        ("RF-Pat-Orientation-Modifier-Missing.dcm", 316),
        ("RF-RDSR-Canon-Alphenix-rotational.dcm", 49),
        ("NM-CT-RDSR-Siemens.dcm", 2),
    ):
        ds = dataset(name)
        assert ds.ContentSequence.is_undefined_length or any(
            item.ContentSequence.is_undefined_length
            for item in ds.ContentSequence
            if "ContentSequence" in item
        ), name
        assert len(parsed(name).events) == events, name


def test_private_siemens_summary_is_read_as_totals() -> None:
    # Values worked out by hand from the file (its private items, 99SMS_RADSUM): C-204 0.2359 'Gy.cm^2',
    # C-202 34.427 s, C-200 0 exposures, C-210 without a measured value.
    report = parsed("RF-ESR-Siemens-Varic.dcm")
    (total,) = report.accumulated
    assert (total.dap_total_gy_cm2, total.fluoro_time_total_s, total.total_frames) == (0.2359, 34.427, 0.0)
    content = xml_content("RF-ESR-Siemens-Varic.dcm")
    assert total.dap_total_gy_cm2 == first_number(content, "C-204", {"Gy.cm^2": 1.0}, "99SMS_RADSUM")
    assert total.fluoro_time_total_s == first_number(content, "C-202", TIME_S, "99SMS_RADSUM")
    assert total.kar_total_mgy is None
    assert report.events == []
    assert any("99SMS_RADSUM" in w for w in report.warnings)


def test_device_from_observer_context_and_participant() -> None:
    toshiba = parsed("CT-RDSR-Toshiba_DoseCheck.dcm")
    # The observer context has only the UID; the Device Participant names the same scanner.
    assert (toshiba.device.manufacturer, toshiba.device.model, toshiba.device.serial_number) == (
        "TOSHIBA",
        "Aquilion Precision",
        "qwer12345j",
    )
    assert (
        toshiba.device.device_observer_uid == "1.3.6.1.4.1.5962.99.1.4226553877.745998417.1511760107541.2.0"
    )
    flash = parsed("CT-RDSR-Siemens_Flash-TAP-SS.dcm")
    # The Device Participant (serial 73491) is not the observer (serial 00001): the irradiating device wins.
    assert flash.device.serial_number == "73491"
    assert flash.device.device_observer_uid is None
    assert any("irradiating device differs" in w for w in flash.warnings)


# -- radiopharmaceutical ----------------------------------------------------------------------------------
def test_radiopharmaceutical_report_matches_dsr2xml() -> None:
    content, report = xml_content("NM-RRDSR-Siemens.dcm"), parsed("NM-RRDSR-Siemens.dcm")
    assert report.kind is ReportKind.RADIOPHARMACEUTICAL
    (xml,) = children(content, "113502")
    (administration,) = report.administrations
    assert administration.event_uid == text_value(items(xml, "113503")[0])
    assert administration.activity_mbq == first_number(xml, "113507", PLAIN)
    assert administration.radionuclide_half_life_s == first_number(xml, "R-42806", TIME_S, "SRT")
    organ_doses = [number(items(o, "113518")[0], DOSE_MGY) for o in items(xml, "113517")]
    assert [o["dose_mgy"] for o in administration.organ_doses] == organ_doses
    assert administration.radionuclide == "^18^Fluorine"
    assert administration.route == "Intravenous route"
    (patient,) = children(content, "121118")
    assert report.patient.age_years == first_number(patient, "121033", {"a": 1.0})
    assert report.patient.height_m == first_number(patient, "8302-2", {"m": 1.0}, "LN")
    assert report.patient.weight_kg == first_number(patient, "29463-7", {"kg": 1.0}, "LN")
    assert report.patient.sex == "M"


# -- byte order --------------------------------------------------------------------------------------------
def test_big_endian_file_matches_dsr2xml(tmp_path: Path) -> None:
    # The corpus has no big-endian RDSR: write one from a little-endian file (every element decoded
    # first, so pydicom re-encodes it) and check it against dsr2xml's own reading of the new file.
    ds = pydicom.dcmread(corpus_path("RF-RDSR-Philips_Allura.dcm"))

    def decode_all(dataset: pydicom.Dataset) -> None:
        for elem in dataset:
            if elem.VR == "SQ":
                for item in elem.value:
                    decode_all(item)

    decode_all(ds)
    ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRBigEndian
    big = tmp_path / "big-endian.dcm"
    pydicom.filewriter.dcmwrite(big, ds, implicit_vr=False, little_endian=False)
    reread = pydicom.dcmread(big)
    assert reread.original_encoding == (False, False)  # explicit VR, big endian
    report = parse_rdsr(reread)
    check_projection(dsr2xml(big), report)
    assert report.accumulated == parsed("RF-RDSR-Philips_Allura.dcm").accumulated
