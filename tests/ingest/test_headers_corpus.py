"""parse_header on every image file of the shared corpus, checked against independent readings.

Expected values were read by hand from `dcmdump` output of each file (the line is quoted in the comment);
conversions are worked out by hand: dGy·cm² / 10 = Gy·cm², dGy x 100 = mGy, µAs / 1000 = mAs,
ms / 1000 = s, µA / 1000 = mA, Bq / 1e6 = MBq. The Hologic file is truncated (dcmdump stops at
(0040,0260)); its values were read from the raw bytes (explicit VR little endian, UN elements).
A second test re-reads a set of tags with dcmdump at test time and compares them with the parse.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import datetime
from functools import cache
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset

from kerma.domain.model import DoseReport, DoseSource, NotDoseRelevant, ReportKind
from kerma.ingest.headers import SECONDARY_CAPTURE_MESSAGE, parse_header
from tests.conftest import corpus_path

pytestmark = pytest.mark.corpus

IMAGE_FILES = [
    "CT-SC-Philips_Brilliance16P.dcm",
    "DX-Im-Carestream_DR7500-1.dcm",
    "DX-Im-Carestream_DR7500-2.dcm",
    "DX-Im-Carestream_DRX.dcm",
    "DX-Im-Date-Missing.dcm",
    "DX-Im-GE_XR220-1.dcm",
    "DX-Im-GE_XR220-2.dcm",
    "DX-Im-GE_XR220-3.dcm",
    "MG-Im-GE_Seno_1_ForPresentation.dcm",
    "MG-Im-GE_Seno_1_ForProcessing.dcm",
    "MG-Im-GE_Seno_2_ForPresentation.dcm",
    "MG-Im-Hologic-PropProj.dcm",
    "NM-NmIm-Siemens-s1-1.dcm",
    "NM-NmIm-Siemens-s1-2.dcm",
    "NM-NmIm-Siemens.dcm",
    "NM-PetIm-GE.dcm",
    "NM-PetIm-Siemens-2.dcm",
    "NM-PetIm-Siemens-3-sameseries.dcm",
    "NM-PetIm-Siemens-3.dcm",
    "NM-PetIm-Siemens.dcm",
]
PROJECTION_FILES = [n for n in IMAGE_FILES if n.startswith(("DX-", "MG-"))]
PET_SIEMENS = [n for n in IMAGE_FILES if n.startswith("NM-PetIm-Siemens")]


def read(name: str) -> Dataset:
    return pydicom.dcmread(corpus_path(name), stop_before_pixels=True)


@cache
def parsed(name: str) -> DoseReport:
    return parse_header(read(name))


# --- projection images: hand-read values ------------------------------------------------------------

# file -> expected event attributes (canonical units), each from the dcmdump line quoted beside it.
PROJECTION_EXPECTED: dict[str, dict[str, object]] = {
    "DX-Im-Carestream_DR7500-1.dcm": {
        "modality": "CR",
        "kvp": 80.0,  # (0018,0060) DS [80]
        "dap_gy_cm2": 1.1013,  # (0018,115e) DS [11.013] dGy·cm² -> 11.013 / 10
        "exposure_mas": 10.0,  # (0018,1152) IS [10] (no ExposureInuAs)
        "exposure_time_s": 0.019,  # (0018,1150) IS [19] ms
        "tube_current_ma": 500.0,  # (0018,1151) IS [500]
        "filters": "ALUMINUM",  # (0018,7050) CS [ALUMINUM]
        "grid": "RECIPROCATING\\FO",  # (0018,1166) CS [RECIPROCATING\FO]
        "focal_spot_mm": 1.2,  # (0018,1190) DS [1.2]
        "view": "OTHER",  # (0018,5101) CS [OTHER]
        "body_part": "PATTERN",  # (0018,0015) CS [PATTERN]
        "datetime_started": datetime(2014, 6, 20, 10, 51, 16),  # (0008,0022) [20140620] (0008,0032) [105116]
    },
    "DX-Im-Carestream_DR7500-2.dcm": {
        "dap_gy_cm2": 1.0157,  # (0018,115e) DS [10.157] -> 10.157 / 10
        "exposure_mas": 9.0,  # (0018,1152) IS [9]
        "exposure_time_s": 0.018,  # (0018,1150) IS [18]
        "filters": "ALUMINUM,COPPER",  # (0018,7050) CS [ALUMINUM,COPPER] (vendor's comma, kept as written)
    },
    "DX-Im-Carestream_DRX.dcm": {
        "kvp": 100.0,  # (0018,0060) DS [100]
        "dap_gy_cm2": 0.0633,  # (0018,115e) DS [0.633] -> 0.633 / 10
        "exposure_mas": 1.0,  # (0018,1153) IS [1000] µAs -> 1000 / 1000
        "exposure_time_s": 0.004,  # (0018,1150) IS [4]
        "tube_current_ma": 250.0,  # (0018,1151) IS [250]
        "exposure_index": 256.88,  # (0018,1411) DS [256.88]
        "target_exposure_index": 226.22,  # (0018,1412) DS [226.22]
        "deviation_index": 0.55,  # (0018,1413) DS [0.55]
        "view": "AP",  # (0018,5101) CS [AP]
        "target_region": "CHEST",  # (0008,2218) item (0008,0104) LO [CHEST]
    },
    "DX-Im-Date-Missing.dcm": {
        "dap_gy_cm2": 1.1013,  # (0018,115e) DS [11.013]
        "datetime_started": None,  # (0008,0022)/(0008,0023) DA (no value available)
    },
    "DX-Im-GE_XR220-1.dcm": {
        "modality": "DX",
        "kvp": 69.639999,  # (0018,0060) DS [69.639999]
        "dap_gy_cm2": 0.041,  # (0018,115e) DS [0.410000] -> 0.41 / 10
        "exposure_mas": 1.04,  # (0018,1153) IS [1040] µAs (Exposure IS [1] is rounded)
        "exposure_time_s": 0.006,  # (0018,1150) IS [6]
        "tube_current_ma": 189.0,  # (0018,1151) IS [189]
        "exposure_index": 51.745061,  # (0018,1411) DS [51.745061]
        "target_exposure_index": 438.469173,  # (0018,1412) DS [438.469173]
        "deviation_index": -9.3,  # (0018,1413) DS [-9.300000]
        "laterality": "U",  # (0020,0062) CS [U]
        "datetime_started": datetime(2014, 9, 30, 14, 11, 33),  # (0008,002a) DT [20140930141133.000000]
    },
    "DX-Im-GE_XR220-2.dcm": {
        "dap_gy_cm2": 0.082,  # (0018,115e) DS [0.820000]
        "exposure_mas": 2.04,  # (0018,1153) IS [2040]
        "exposure_index": 108.84306,  # (0018,1411) DS [108.843060]
        "deviation_index": -6.1,  # (0018,1413) DS [-6.100000]
    },
    "DX-Im-GE_XR220-3.dcm": {
        "dap_gy_cm2": 0.205,  # (0018,115e) DS [2.050000]
        "exposure_mas": 5.04,  # (0018,1153) IS [5040]
        "exposure_time_s": 0.027,  # (0018,1150) IS [27]
    },
    "MG-Im-GE_Seno_1_ForPresentation.dcm": {
        "modality": "MG",
        "kvp": 26.0,  # (0018,0060) DS [26]
        "agd_mgy": 0.547,  # (0040,0316) DS [0.00547] dGy -> x 100
        "entrance_dose_mgy": 1.694,  # (0040,8302) DS [1.694] ((0040,0302) US 0 is ignored)
        "exposure_mas": 20.8,  # (0018,1153) IS [20800]
        "exposure_time_s": 0.206,  # (0018,1150) IS [206]
        "compression_thickness_mm": 20.0,  # (0018,11a0) DS [20]
        "compression_force_n": 30.0,  # (0018,11a2) DS [30]
        "anode_target": "MOLYBDENUM",  # (0018,1191) CS [MOLYBDENUM]
        "filters": "MOLYBDENUM",  # (0018,7050) CS [MOLYBDENUM]
        "laterality": "L",  # (0020,0062) CS [L]
        "view": "CC",  # (0018,5101) CS [CC]
        "distance_source_to_detector_mm": 660.0,  # (0018,1110) DS [660]
        "datetime_started": datetime(2013, 4, 12, 13, 22, 23),  # (0008,0022) [20130412] (0008,0032)
    },
    "MG-Im-GE_Seno_1_ForProcessing.dcm": {
        "agd_mgy": 0.547,  # (0040,0316) DS [0.00547]
        "entrance_dose_mgy": 1.694,  # (0040,8302) DS [1.694]
        "exposure_mas": 20.8,  # (0018,1153) IS [20800]
        "compression_thickness_mm": 20.0,  # (0018,11a0) DS [20]
    },
    "MG-Im-GE_Seno_2_ForPresentation.dcm": {
        "kvp": 29.0,  # (0018,0060) DS [29]
        "agd_mgy": 1.409,  # (0040,0316) DS [0.01409] -> x 100
        "entrance_dose_mgy": 4.931,  # (0040,8302) DS [4.931]
        "exposure_mas": 53.2,  # (0018,1153) IS [53200]
        "exposure_time_s": 0.856,  # (0018,1150) IS [856]
        "tube_current_ma": 61.0,  # (0018,1151) IS [61]
        "compression_thickness_mm": 39.0,  # (0018,11a0) DS [39]
        "anode_target": "RHODIUM",  # (0018,1191) CS [RHODIUM]
    },
    # Secondary Capture holding real dose attributes; values from the raw bytes (UN elements).
    "MG-Im-Hologic-PropProj.dcm": {
        "modality": "MG",
        "kvp": 28.0,  # (0018,0060) DS '28'
        "agd_mgy": 0.26,  # (0040,0316) UN b'0.0026' dGy -> x 100
        "entrance_dose_mgy": 0.42,  # (0040,8302) UN b'0.42'
        "exposure_mas": 6.0,  # (0018,1153) UN b'6000' µAs
        "compression_thickness_mm": 18.0,  # (0018,11a0) UN b'18'
        "anode_target": "TUNGSTEN",  # (0018,1191) UN b'TUNGSTEN'
        "laterality": "R",  # (0020,0060) CS 'R ' (no Image Laterality)
        "half_value_layer_mm": 0.479,  # (0040,0314) DS '0.479'
    },
}


@pytest.mark.parametrize("name", sorted(PROJECTION_EXPECTED))
def test_projection_values_match_hand_reading(name: str) -> None:
    report = parsed(name)
    assert report.source is DoseSource.HEADER
    assert len(report.events) == 1
    event = report.events[0]
    for attribute, expected in PROJECTION_EXPECTED[name].items():
        actual = getattr(event, attribute)
        if isinstance(expected, float):
            assert actual == pytest.approx(expected, rel=1e-9), attribute
        else:
            assert actual == expected, attribute
    assert event.sop_instance_uid == report.sop_instance_uid
    assert event.series_instance_uid == report.series_instance_uid
    assert event.dlp_mgy_cm is None


def test_report_kinds_and_study() -> None:
    assert parsed("MG-Im-GE_Seno_2_ForPresentation.dcm").kind is ReportKind.MAMMOGRAPHY
    assert parsed("DX-Im-GE_XR220-1.dcm").kind is ReportKind.PROJECTION
    dx = parsed("DX-Im-GE_XR220-1.dcm")
    # (0020,000d) UI [1.3.6.1.4.1.5962.99.1.2282339064.1266597797.1479751121656.24.0]
    assert dx.study.study_instance_uid == "1.3.6.1.4.1.5962.99.1.2282339064.1266597797.1479751121656.24.0"
    assert dx.study.modality == "DX"
    assert dx.patient.sex == "M"  # (0010,0040) CS [M]
    assert dx.patient.age_years == 56  # (0010,1010) AS [56Y]
    assert dx.device.model == "Optima XR220"  # (0008,1090) LO [Optima XR220]
    assert dx.identity.patient_id == "00098765"  # (0010,0020) LO [00098765]
    assert dx.events[0].event_type == "stationary_acquisition"  # one radiograph, as RDSRs store DCM 113611


def test_hologic_flat_field_is_marked_as_quality_control() -> None:
    # (0028,0300) CS 'YES' Quality Control Image; (0018,5101) CS [FLATFIELD]
    event = parsed("MG-Im-Hologic-PropProj.dcm").events[0]
    assert event.extra["quality_control_image"] is True
    assert event.view == "FLATFIELD"


# --- identity of exposures ---------------------------------------------------------------------------


def test_event_uid_is_irradiation_event_uid_when_present() -> None:
    # (0008,3010) UI [1.3.6.1.4.1.5962.99.1.886610039.3649959.1495535261815.5.0]
    event = parsed("DX-Im-Carestream_DRX.dcm").events[0]
    assert event.irradiation_event_uid == "1.3.6.1.4.1.5962.99.1.886610039.3649959.1495535261815.5.0"
    assert event.dedupe_key == event.irradiation_event_uid


def test_event_uid_falls_back_to_sop_instance_uid() -> None:
    report = parsed("DX-Im-GE_XR220-1.dcm")
    # (0008,0018) UI [1.3.6.1.4.1.5962.99.1.2282339064.1266597797.1479751121656.20.0]; no (0008,3010)
    assert report.events[0].irradiation_event_uid == (
        "1.3.6.1.4.1.5962.99.1.2282339064.1266597797.1479751121656.20.0"
    )
    assert report.events[0].dedupe_key.startswith("hdr:")


def test_mammography_processing_and_presentation_pair_is_one_exposure() -> None:
    processing = parsed("MG-Im-GE_Seno_1_ForProcessing.dcm").events[0]
    presentation = parsed("MG-Im-GE_Seno_1_ForPresentation.dcm").events[0]
    # Different images: (0008,0018) ...206.2.0 vs ...206.8.0, different series and content times.
    assert processing.sop_instance_uid != presentation.sop_instance_uid
    assert processing.series_instance_uid != presentation.series_instance_uid
    assert processing.irradiation_event_uid != presentation.irradiation_event_uid
    assert processing.dedupe_key == presentation.dedupe_key


def test_different_exposures_have_different_keys() -> None:
    keys = {}
    for name in PROJECTION_FILES:
        if name == "MG-Im-GE_Seno_1_ForProcessing.dcm":
            continue  # the twin of ..._ForPresentation, checked above
        keys[name] = parsed(name).events[0].dedupe_key
    assert len(set(keys.values())) == len(keys), keys


# --- CT dose screen ---------------------------------------------------------------------------------


def test_philips_dose_screen_lists_its_acquisitions() -> None:
    report = parsed("CT-SC-Philips_Brilliance16P.dcm")
    assert report.kind is ReportKind.CT
    assert report.study.modality == "CT"
    events = report.events
    # (0040,030e) Exposure Dose Sequence, 4 items; CTDIvol (0018,9345) FD of each item:
    assert [e.ctdivol_mgy for e in events] == pytest.approx(
        [0.0, 7.2009787191521353, 11.32941264247715, 9.3156825132469656]
    )
    # (0018,1302) IS [700] [231] [173] [665]
    assert [e.scanning_length_mm for e in events] == [700.0, 231.0, 173.0, 665.0]
    # (0018,9302) CS [CONSTANT_ANGLE] then [SPIRAL] x 3, stored as the RDSR parser stores CID 10013
    assert events[0].event_type == "constant_angle"
    assert {e.event_type for e in events[1:]} == {"spiral"}
    second = events[1]
    assert second.tube_current_ma == pytest.approx(165.044374)  # (0018,8151) DS [165044.374] µA / 1000
    assert second.exposure_time_s == pytest.approx(6.986)  # (0018,1150) IS [6986] ms
    assert second.pitch_factor == pytest.approx(0.83553913879394521)  # (0018,9311) FD
    assert second.nominal_total_collimation_mm == 24.0  # (0018,9307) FD 24
    assert second.comment == "PRE KIDNEYS"  # (0008,103e) LO [PRE KIDNEYS]
    # No DLP in image headers: the reported text value and an estimate go to extra, never dlp_mgy_cm.
    assert all(e.dlp_mgy_cm is None for e in events)
    # (0040,0310) "Series #3 PRE KIDNEYS Average CTDIvol=7.2 DLP=196.0"
    assert second.extra["reported_dlp_mgy_cm"] == 196.0
    assert events[3].extra["reported_dlp_mgy_cm"] == 657.9  # "Series #6 ... DLP=657.9"
    assert second.extra["dlp_estimate_mgy_cm"] == pytest.approx(7.2009787191521353 * 23.1)
    assert len({e.dedupe_key for e in events}) == 4
    assert len({e.irradiation_event_uid for e in events}) == 4
    assert all(e.dedupe_key.startswith("hdr-ct:") for e in events)
    assert all(re.fullmatch(r"2\.25\.\d{1,39}", e.irradiation_event_uid) for e in events)


def test_dose_screen_keys_are_stable_across_reads() -> None:
    again = parse_header(read("CT-SC-Philips_Brilliance16P.dcm"))
    first = parsed("CT-SC-Philips_Brilliance16P.dcm")
    assert [e.dedupe_key for e in again.events] == [e.dedupe_key for e in first.events]


def test_dose_screen_without_its_dose_sequence_is_left_for_ocr() -> None:
    ds = read("CT-SC-Philips_Brilliance16P.dcm")
    del ds.ExposureDoseSequence  # what remains is kVp/mA/time of the screen, no dose attribute
    with pytest.raises(NotDoseRelevant, match=re.escape(SECONDARY_CAPTURE_MESSAGE)):
        parse_header(ds)


# --- PET and NM -------------------------------------------------------------------------------------


def test_nm_activity_is_in_mbq() -> None:
    report = parsed("NM-NmIm-Siemens-s1-1.dcm")
    assert report.kind is ReportKind.RADIOPHARMACEUTICAL
    assert report.events == []
    (admin,) = report.administrations
    assert admin.activity_mbq == 320.0  # (0018,1074) DS [320]: NM Isotope Module unit is MBq
    assert admin.radionuclide == "99m Technetium"  # (0054,0300) item (0008,0104) LO [99m Technetium]
    assert admin.pharmaceutical == "Sestamibi"  # (0018,0031) LO [Sestamibi]
    assert admin.start_datetime is None  # no (0018,1072)/(0018,1078)
    other = parsed("NM-NmIm-Siemens.dcm").administrations[0]
    assert other.activity_mbq == 764.0  # (0018,1074) DS [764]
    assert other.pharmaceutical == "DPD"  # (0018,0031) LO [DPD]


def test_pet_activity_is_converted_from_bq() -> None:
    (admin,) = parsed("NM-PetIm-GE.dcm").administrations
    assert admin.activity_mbq == pytest.approx(221.596288)  # (0018,1074) DS [221596288] Bq / 1e6
    assert admin.radionuclide_half_life_s == pytest.approx(6586.2001953125)  # (0018,1075)
    assert admin.start_datetime == datetime(2022, 3, 10, 12, 41)  # (0018,1078) DT [20220310124100.00]
    assert admin.stop_datetime == datetime(2022, 3, 10, 12, 42)  # (0018,1079) DT [20220310124200.00]
    assert admin.radionuclide == "^18^Fluorine"  # (0054,0300) (0008,0104) LO [^18^Fluorine]
    assert admin.pharmaceutical == "Fluorodeoxyglucose F^18^"  # (0054,0304) (0008,0104)
    siemens = parsed("NM-PetIm-Siemens.dcm").administrations[0]
    assert siemens.activity_mbq == pytest.approx(394.0)  # (0018,1074) DS [394000000]
    assert siemens.start_datetime == datetime(2022, 2, 24, 10, 48, 30)  # (0018,1078) DT [20220224104830]


def test_all_images_of_one_injection_share_one_administration() -> None:
    pet_keys = {parsed(n).administrations[0].event_uid for n in PET_SIEMENS}
    assert len(pet_keys) == 1  # four PET images of one study, one FDG injection
    nm_keys = {
        parsed(n).administrations[0].event_uid
        for n in ("NM-NmIm-Siemens-s1-1.dcm", "NM-NmIm-Siemens-s1-2.dcm")
    }
    assert len(nm_keys) == 1
    others = {
        parsed("NM-PetIm-GE.dcm").administrations[0].event_uid,
        parsed("NM-NmIm-Siemens.dcm").administrations[0].event_uid,
        *pet_keys,
        *nm_keys,
    }
    assert len(others) == 4


# --- a second, live reading with dcmdump --------------------------------------------------------------

_DCMDUMP = shutil.which("dcmdump")
_LINE = re.compile(r"^\s*\(([0-9a-f]{4}),([0-9a-f]{4})\) (\w\w) (?:\[([^\]]*)\]|(\S+))")


def dcmdump_values(path: Path, tags: list[str]) -> dict[str, list[str]]:
    """Every value dcmdump prints for the given tags (nested occurrences included)."""
    args = [_DCMDUMP or "dcmdump", "-q"]
    for tag in tags:
        args += ["+P", tag]
    out = subprocess.run([*args, str(path)], capture_output=True, text=True, errors="replace", check=False)
    values: dict[str, list[str]] = {}
    for line in out.stdout.splitlines():
        m = _LINE.match(line)
        if m and m.group(3) != "SQ":
            values.setdefault(f"{m.group(1)},{m.group(2)}", []).append(m.group(4) or m.group(5))
    return values


# tag -> (event attribute, factor worked out by hand), for projection images
_PROJECTION_TAGS = {
    "0018,0060": ("kvp", 1.0),
    "0018,115e": ("dap_gy_cm2", 0.1),  # dGy·cm² -> Gy·cm²
    "0040,8302": ("entrance_dose_mgy", 1.0),
    "0018,1153": ("exposure_mas", 0.001),  # µAs -> mAs
    "0018,1411": ("exposure_index", 1.0),
}


@pytest.mark.skipif(_DCMDUMP is None, reason="dcmtk dcmdump not installed")
@pytest.mark.parametrize("name", [n for n in PROJECTION_FILES if "Hologic" not in n])
def test_projection_values_match_dcmdump(name: str) -> None:
    dumped = dcmdump_values(corpus_path(name), [*_PROJECTION_TAGS, "0040,0316"])
    event = parsed(name).events[0]
    checked = 0
    for tag, (attribute, factor) in _PROJECTION_TAGS.items():
        if tag in dumped:
            assert getattr(event, attribute) == pytest.approx(float(dumped[tag][0]) * factor), tag
            checked += 1
    if "0040,0316" in dumped:  # Organ Dose, dGy; the AGD of a mammogram
        assert event.agd_mgy == pytest.approx(float(dumped["0040,0316"][0]) * 100.0)
        checked += 1
    assert checked >= 2


@pytest.mark.skipif(_DCMDUMP is None, reason="dcmtk dcmdump not installed")
def test_ct_dose_screen_matches_dcmdump() -> None:
    name = "CT-SC-Philips_Brilliance16P.dcm"
    dumped = dcmdump_values(corpus_path(name), ["0018,9345", "0018,1302"])
    assert [e.ctdivol_mgy for e in parsed(name).events] == pytest.approx(
        [float(v) for v in dumped["0018,9345"]]
    )
    assert [e.scanning_length_mm for e in parsed(name).events] == [float(v) for v in dumped["0018,1302"]]


@pytest.mark.skipif(_DCMDUMP is None, reason="dcmtk dcmdump not installed")
@pytest.mark.parametrize("name", [n for n in IMAGE_FILES if n.startswith("NM-")])
def test_activity_matches_dcmdump(name: str) -> None:
    (total,) = dcmdump_values(corpus_path(name), ["0018,1074"])["0018,1074"]
    factor = 1e-6 if "PetIm" in name else 1.0  # PET: Bq; NM: MBq (PS3.3)
    assert parsed(name).administrations[0].activity_mbq == pytest.approx(float(total) * factor)


def test_every_corpus_image_is_parsed() -> None:
    for name in IMAGE_FILES:
        report = parsed(name)
        assert report.events or report.administrations, name
        assert report.source is DoseSource.HEADER
