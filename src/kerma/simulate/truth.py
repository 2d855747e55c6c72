"""The ground truth of a simulation: one CSV row per study, written beside the DICOM files.

Dose columns hold what the files say, in Kerma's canonical units: for a study with an RDSR the totals
of its RDSR(s) over unique irradiation events; for a study sent as image objects only, the sums of the
dose attributes of its images (CT images carry no DLP, so ``total_dlp_mgy_cm`` is empty there).
``standard_exam`` is the English label a protocol-mapping step should find for ``local_name``.
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from kerma.simulate.patients import fit_text
from kerma.simulate.quantities import decimal
from kerma.simulate.study import Study

GROUND_TRUTH_FILE = "ground_truth.csv"


@dataclass(slots=True)
class TruthRow:
    """What one simulated study is and what its files contain."""

    study_index: int
    folder: str
    study_instance_uid: str
    accession_number: str
    patient_id: str
    study_datetime: str
    modality: str
    room: str
    manufacturer: str
    model: str
    station_name: str
    institution: str
    device_observer_uid: str
    local_name: str
    protocol_name: str
    standard_exam: str
    exam_key: str
    has_rdsr: bool
    rdsr_variant: str
    """'single', 'resent' (same object twice), 'superset' (earlier cumulative report(s) then the full
    one), 'split' (two reports with disjoint events, both count) or '' without RDSR."""
    rdsr_files: int
    image_files: int
    event_count: int
    """Unique irradiation events the files describe (image-only studies: exposures with an image)."""
    planes: int
    total_dlp_mgy_cm: str = ""
    max_ctdivol_mgy: str = ""
    main_ctdivol_mgy: str = ""
    """CTDIvol of the CT event with the largest DLP (the exam's main scan)."""
    total_dap_gy_cm2: str = ""
    total_kar_mgy: str = ""
    """Sum over planes of the reported Dose (RP) totals."""
    fluoro_time_s: str = ""
    agd_left_mgy: str = ""
    agd_right_mgy: str = ""
    patient_sex: str = ""
    patient_age_years: str = ""
    patient_height_m: str = ""
    """As written ('' when the room did not send it); likewise the weight."""
    patient_weight_kg: str = ""
    child: bool = False
    outlier: bool = False


@dataclass(slots=True)
class StudyOutput:
    """The files of one study (name inside the study folder, bytes) and its ground-truth row."""

    files: list[tuple[str, bytes]]
    truth: TruthRow


def study_folder(study: Study) -> str:
    """Folder of a study inside the output directory."""
    return f"{study.index:06d}_{study.exam.modality}"


def base_truth(
    study: Study, *, has_rdsr: bool, rdsr_files: int, image_files: int, event_count: int, planes: int = 1
) -> TruthRow:
    """The identity columns of a study's row; the builder fills in the dose columns."""
    room, codec = study.room, study.codec
    return TruthRow(
        study_index=study.index,
        folder=study_folder(study),
        study_instance_uid=study.study_uid,
        accession_number=study.accession,
        patient_id=study.patient.patient_id,
        study_datetime=study.start.isoformat(),
        modality=study.exam.modality,
        room=room.key,
        manufacturer=room.manufacturer,
        model=room.model,
        station_name=fit_text(room.station_name, codec),
        institution=fit_text(room.institution, codec),
        device_observer_uid=room.device_observer_uid,
        local_name=fit_text(study.local_name, codec),
        protocol_name=fit_text(study.protocol_name, codec),
        standard_exam=study.exam.label,
        exam_key=study.exam.key,
        has_rdsr=has_rdsr,
        rdsr_variant=study.variant if has_rdsr else "",
        rdsr_files=rdsr_files,
        image_files=image_files,
        event_count=event_count,
        planes=planes,
        patient_sex=study.patient.sex,
        patient_age_years=decimal(study.age, 2),
        patient_height_m="" if study.height_m is None else decimal(study.height_m, 2),
        patient_weight_kg="" if study.weight_kg is None else decimal(study.weight_kg, 1),
        child=study.child,
        outlier=study.outlier,
    )


COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(TruthRow))


def write_ground_truth(rows: list[TruthRow], path: Path) -> None:
    """Write the rows as CSV (UTF-8, header line, booleans as 0/1)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            record = asdict(row)
            writer.writerow({k: int(v) if isinstance(v, bool) else v for k, v in record.items()})


def read_ground_truth(path: Path) -> list[TruthRow]:
    """Read a ground-truth CSV written by :func:`write_ground_truth`."""
    types = {f.name: f.type for f in fields(TruthRow)}
    rows: list[TruthRow] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for record in csv.DictReader(handle):
            values: dict[str, object] = {}
            for name, text in record.items():
                kind = types[name]
                if kind == "int":
                    values[name] = int(text)
                elif kind == "bool":
                    values[name] = text == "1"
                else:
                    values[name] = text
            rows.append(TruthRow(**values))  # type: ignore[arg-type]
    return rows
