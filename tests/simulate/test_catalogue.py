"""The device and exam catalogues, and the codes the simulator writes."""

from __future__ import annotations

from collections import Counter

import pytest
from pydicom.sr.codedict import codes
from pydicom.sr.coding import Code as PydicomCode
from pydicom.uid import UID

from kerma.simulate import codes as C
from kerma.simulate.codes import Code
from kerma.simulate.patients import age_string, fit_text
from kerma.simulate.protocols import EXAMS, exams_for
from kerma.simulate.rooms import ROOMS, rooms_for
from tests.simulate.helpers import Simulated

MODALITIES = ("CT", "DX", "MG", "RF", "XA")


def _written_codes() -> list[Code]:
    return [value for value in vars(C).values() if isinstance(value, Code)]


def test_dcm_and_sct_codes_exist_in_the_dicom_code_tables() -> None:
    # pydicom's code dictionary (PS3.16 tables) is the independent reference
    known = {
        scheme: {getattr(getattr(codes, scheme), name).value for name in getattr(codes, scheme).dir()}
        for scheme in ("DCM", "SCT")
    }
    written = [code for code in _written_codes() if code.scheme in known]
    assert len(written) > 150
    unknown = [code for code in written if code.value not in known[code.scheme]]
    assert unknown == []


def test_units_are_ucum() -> None:
    units = {code.value for code in _written_codes() if code.scheme == "UCUM"}
    assert {"Gy.m2", "Gy", "mGy", "mGy.cm", "s", "ms", "mm", "kV", "mA", "uA.s", "{ratio}"} <= units


def test_legacy_codes_are_the_srt_equivalents() -> None:
    # pydicom treats an SRT code and its SCT replacement as equal when its SNOMED map knows the pair
    mapped = 0
    for current, legacy in C.LEGACY.items():
        assert legacy.scheme == "SRT" and current.scheme == "SCT"
        if current in (C.CHEST, C.ABDOMEN):  # newer SCT codes; devices wrote T-D3000 / T-D4000
            continue
        assert PydicomCode(current.value, "SCT", current.meaning) == PydicomCode(
            legacy.value, "SRT", legacy.meaning
        )
        mapped += 1
    assert mapped >= 20


def test_rooms_have_stable_distinct_identities(simulated: Simulated) -> None:
    assert len({room.key for room in ROOMS}) == len(ROOMS)
    assert len({room.device_observer_uid for room in ROOMS}) == len(ROOMS)
    assert len({(room.manufacturer, room.serial_number) for room in ROOMS}) == len(ROOMS)
    for room in ROOMS:
        assert UID(room.device_observer_uid).is_valid
        assert len(room.station_name) <= 16  # SH
        assert room.institution and room.department and room.model
    # the UID in the files is the catalogue's (the same whatever the seed)
    written = {(row.room, row.device_observer_uid) for row in simulated.rows}
    assert written <= {(room.key, room.device_observer_uid) for room in ROOMS}


def test_every_modality_has_several_rooms_and_vendors() -> None:
    for modality in MODALITIES:
        rooms = [room for room in ROOMS if room.modality == modality]
        assert len(rooms) >= 3
        assert len({room.manufacturer.split()[0].upper() for room in rooms}) >= 2
    assert any(room.biplane for room in ROOMS if room.modality == "XA")
    assert any(not room.biplane for room in ROOMS if room.modality == "XA")
    assert Counter(room.charset for room in ROOMS).keys() == {None, "ISO_IR 100", "ISO_IR 192"}


def test_every_exam_has_rooms_and_names_in_four_languages() -> None:
    assert len({exam.key for exam in EXAMS}) == len(EXAMS)
    for modality in MODALITIES:
        assert exams_for(modality)
    for exam in EXAMS:
        assert rooms_for(exam.modality, exam.key), exam.key
        assert set(exam.names) == {"de", "en", "fr", "it"}
        assert all(exam.names.values())
        assert sum(x is not None for x in (exam.ct, exam.dx or None, exam.fluoro, exam.mammo)) == 1


@pytest.mark.parametrize(
    ("text", "codec", "expected"),
    [
        ("Müller^Jürgen", "ascii", "Mueller^Juergen"),
        ("Lefèvre^Hélène", "ascii", "Lefevre^Helene"),
        ("Weiß^Bärbel", "ascii", "Weiss^Baerbel"),
        ("Lefèvre^Hélène", "latin_1", "Lefèvre^Hélène"),
        ("Scanner Étage 2", "utf-8", "Scanner Étage 2"),
    ],
)
def test_text_is_fitted_to_the_character_set(text: str, codec: str, expected: str) -> None:
    assert fit_text(text, codec) == expected


@pytest.mark.parametrize(
    ("age", "expected"), [(0.02, "007D"), (0.5, "006M"), (1.99, "023M"), (2.0, "002Y"), (67.9, "067Y")]
)
def test_age_strings(age: float, expected: str) -> None:
    assert age_string(age) == expected
