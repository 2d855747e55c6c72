"""The simulated population: summary and ground truth agree with the files; patients, dates, names."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from datetime import date, datetime

import pydicom

from kerma.simulate.protocols import EXAMS
from tests.simulate.conftest import STUDIES
from tests.simulate.helpers import Simulated


def test_summary_counts_the_files_on_disk(simulated: Simulated) -> None:
    summary = simulated.summary
    files = list(simulated.out.rglob("*.dcm"))
    assert summary.studies == STUDIES == len(simulated.rows)
    assert summary.files == len(files) == summary.rdsr_files + summary.image_files
    assert sum(summary.studies_by_modality.values()) == STUDIES
    assert set(summary.studies_by_modality) == {"CT", "DX", "MG", "RF", "XA"}
    assert summary.ground_truth == simulated.out / "ground_truth.csv"
    assert json.loads(json.dumps(summary.as_dict()))["files"] == summary.files
    # every modality has RDSR studies and image-only studies
    for modality, count in summary.studies_by_modality.items():
        assert 0 < summary.rdsr_studies_by_modality[modality] < count


def test_identifiers_are_unique_and_dates_in_the_window(simulated: Simulated) -> None:
    rows = simulated.rows
    assert len({row.study_instance_uid for row in rows}) == len(rows)
    assert len({row.accession_number for row in rows}) == len(rows)
    for row in rows:
        day = datetime.fromisoformat(row.study_datetime).date()
        assert date(2024, 1, 1) <= day <= date(2025, 12, 31)
        assert re.fullmatch(r"[0-9.]{1,64}", row.study_instance_uid)


def test_some_patients_come_back(simulated: Simulated) -> None:
    visits = Counter((row.institution, row.patient_id) for row in simulated.rows)
    repeat = [key for key, count in visits.items() if count > 1]
    assert len(repeat) >= 0.05 * len(visits)
    # a returning patient has the same birth date and sex in every study's files
    by_patient = defaultdict(list)
    for row in simulated.rows:
        by_patient[(row.institution, row.patient_id)].append(row)
    for key in repeat[:10]:
        seen = set()
        for row in by_patient[key]:
            path = next(simulated.folder(row).glob("*.dcm"))
            ds = pydicom.dcmread(path, stop_before_pixels=True)
            seen.add((ds.PatientBirthDate, ds.PatientSex))
        assert len(seen) == 1


def test_patient_sizes_fit_their_age(simulated: Simulated) -> None:
    rows = simulated.rows
    children = [row for row in rows if row.child]
    assert 0.01 * len(rows) < len(children) < 0.2 * len(rows)
    for row in rows:
        age = float(row.patient_age_years)
        assert 0 <= age < 100
        assert row.child == (age < 18)
        if row.patient_weight_kg:
            weight = float(row.patient_weight_kg)
            if age < 2:
                assert 2 < weight < 20
            elif age < 10:
                assert 8 < weight < 60
            elif age >= 18:
                assert 35 < weight < 190
        if row.patient_height_m:
            height = float(row.patient_height_m)
            assert (0.4 if age < 2 else 1.2 if age >= 18 else 0.6) < height < 2.2
    assert any(not row.patient_weight_kg for row in rows)
    assert any(row.patient_weight_kg for row in rows)
    assert {row.patient_sex for row in rows if row.modality == "MG"} <= {"F", "M"}
    assert Counter(row.patient_sex for row in rows if row.modality == "MG")["F"] > 0.9 * sum(
        row.modality == "MG" for row in rows
    )


def test_local_names_are_messy_and_mapped_to_standard_labels(simulated: Simulated) -> None:
    rows = simulated.rows
    labels = {exam.label for exam in EXAMS}
    assert {row.standard_exam for row in rows} <= labels
    names = {row.local_name for row in rows}
    assert len(names) > 150
    assert any("^" in name and "(Adult)" in name for name in names)  # Region^Protocol (Adult)
    assert any(re.match(r"\d\.\d ", name) for name in names)  # '1.2 Kopf'
    assert any(re.search(r"[äöüéèàâîôûç]", name) for name in names)  # diacritics survive UTF-8/Latin-1
    assert any(name.isupper() for name in names) and any(name.islower() for name in names)
    # one standard exam goes by many local names, in several languages
    per_exam = defaultdict(set)
    for row in rows:
        per_exam[row.exam_key].add(row.local_name)
    assert len(per_exam["ct-head"]) >= 8
    assert {"CCT", "HEAD ROUTINE", "crâne"} & per_exam["ct-head"]


def test_ascii_rooms_transliterate_and_utf8_rooms_keep_diacritics(simulated: Simulated) -> None:
    utf8 = next(row for row in simulated.rows if row.station_name == "Scanner Étage 2" and row.has_rdsr)
    ds = pydicom.dcmread(simulated.reports(utf8)[0])
    assert ds.SpecificCharacterSet == "ISO_IR 192"
    assert ds.StationName == "Scanner Étage 2" and ds.InstitutionName == "Hôpital Sainte-Claire"
    riverside = [row for row in simulated.rows if row.institution == "Riverside General Hospital"]
    ascii_rows = [row for row in riverside if row.modality != "XA"][:40]
    for row in ascii_rows:
        path = next(simulated.folder(row).glob("*.dcm"))
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        assert "SpecificCharacterSet" not in ds
        for element in ds.iterall():  # every string, names included, in the default repertoire
            if element.VR in ("PN", "LO", "SH", "UT", "ST", "LT"):
                assert str(element.value).isascii(), element
