"""Synthetic dose data: realistic RDSRs and image objects for tests, demos and benchmarks.

:func:`simulate` writes one folder per study (Part 10 files, Explicit VR Little Endian) and a
``ground_truth.csv`` beside them. The output depends only on the seed and the number of studies: the
same arguments give the same bytes. See :mod:`kerma.simulate.rooms` (devices),
:mod:`kerma.simulate.protocols` (exams, local names, dose medians) and :mod:`kerma.simulate.truth`
(the ground-truth columns).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kerma.simulate.ct import ct_events, ct_reports
from kerma.simulate.images import ct_images, dx_images, fluoro_images, mg_images
from kerma.simulate.mammo import agd_per_breast, mammo_events, mammo_rdsr
from kerma.simulate.projection import dx_events, fluoro_events, plane_totals, projection_rdsr
from kerma.simulate.quantities import AGD, CTDI, DAP, DLP, KERMA, TIME
from kerma.simulate.study import Study, plan_studies
from kerma.simulate.truth import (
    GROUND_TRUTH_FILE,
    StudyOutput,
    TruthRow,
    base_truth,
    read_ground_truth,
    study_folder,
    write_ground_truth,
)

__all__ = [
    "GROUND_TRUTH_FILE",
    "SimulationSummary",
    "TruthRow",
    "build_study",
    "ground_truth",
    "simulate",
]


@dataclass(frozen=True)
class SimulationSummary:
    """What :func:`simulate` wrote."""

    out: Path
    studies: int
    files: int
    rdsr_files: int
    image_files: int
    patients: int
    studies_by_modality: dict[str, int] = field(default_factory=dict)
    rdsr_studies_by_modality: dict[str, int] = field(default_factory=dict)
    ground_truth: Path | None = None

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready dictionary (paths as strings), for ``--json`` output."""
        return {
            "out": str(self.out),
            "studies": self.studies,
            "files": self.files,
            "rdsr_files": self.rdsr_files,
            "image_files": self.image_files,
            "patients": self.patients,
            "studies_by_modality": dict(self.studies_by_modality),
            "rdsr_studies_by_modality": dict(self.rdsr_studies_by_modality),
            "ground_truth": str(self.ground_truth) if self.ground_truth else None,
        }


def _ct(study: Study) -> StudyOutput:
    events = ct_events(study)
    reports = [] if study.images_only else ct_reports(study, events)
    images = ct_images(study, events) if study.images_only or study.with_images else []
    truth = base_truth(
        study,
        has_rdsr=bool(reports),
        rdsr_files=len(reports),
        image_files=len(images),
        event_count=len(events),
    )
    truth.max_ctdivol_mgy = CTDI.text(max(event.ctdivol or 0 for event in events))
    main = max(events, key=lambda event: event.dlp or 0)
    truth.main_ctdivol_mgy = CTDI.text(main.ctdivol or 0)
    if reports:
        truth.total_dlp_mgy_cm = DLP.text(sum(event.dlp or 0 for event in events))
    return StudyOutput(reports + images, truth)


def _dx(study: Study) -> StudyOutput:
    events = dx_events(study)
    reports = [] if study.images_only else [("SR_1.dcm", projection_rdsr(study, events))]
    images = dx_images(study, events) if study.images_only or study.with_images else []
    truth = base_truth(
        study,
        has_rdsr=bool(reports),
        rdsr_files=len(reports),
        image_files=len(images),
        event_count=len(events),
    )
    truth.total_dap_gy_cm2 = DAP.text(sum(event.dap for event in events), "Gy.cm2")
    if reports:
        truth.total_kar_mgy = KERMA.text(sum(event.kar for event in events), "mGy")
    return StudyOutput(reports + images, truth)


def _mg(study: Study) -> StudyOutput:
    events = mammo_events(study)
    reports = [] if study.images_only else [("SR_1.dcm", mammo_rdsr(study, events))]
    images = mg_images(study, events) if study.images_only or study.with_images else []
    truth = base_truth(
        study,
        has_rdsr=bool(reports),
        rdsr_files=len(reports),
        image_files=len(images),
        event_count=len(events),
    )
    per_breast = agd_per_breast(events)
    truth.agd_left_mgy = AGD.text(per_breast["L"]) if "L" in per_breast else ""
    truth.agd_right_mgy = AGD.text(per_breast["R"]) if "R" in per_breast else ""
    return StudyOutput(reports + images, truth)


def _fluoro(study: Study) -> StudyOutput:
    events = fluoro_events(study)
    planes = plane_totals(events)
    if study.images_only:  # only acquisition runs leave images; fluoroscopy leaves nothing
        images = fluoro_images(study, events)
        acquisitions = [event for event in events if not event.is_fluoro]
        truth = base_truth(
            study,
            has_rdsr=False,
            rdsr_files=0,
            image_files=len(images),
            event_count=len(acquisitions),
            planes=len(planes),
        )
        truth.total_dap_gy_cm2 = DAP.text(sum(event.dap for event in acquisitions), "Gy.cm2")
        return StudyOutput(images, truth)
    truth = base_truth(
        study, has_rdsr=True, rdsr_files=1, image_files=0, event_count=len(events), planes=len(planes)
    )
    truth.total_dap_gy_cm2 = DAP.text(sum(plane.dap for plane in planes), "Gy.cm2")
    truth.total_kar_mgy = KERMA.text(sum(plane.kar for plane in planes), "mGy")
    truth.fluoro_time_s = TIME.text(sum(plane.fluoro_time for plane in planes))
    return StudyOutput([("SR_1.dcm", projection_rdsr(study, events))], truth)


_BUILDERS: dict[str, Callable[[Study], StudyOutput]] = {
    "CT": _ct,
    "DX": _dx,
    "MG": _mg,
    "RF": _fluoro,
    "XA": _fluoro,
}


def build_study(study: Study) -> StudyOutput:
    """The files and ground-truth row of one planned study."""
    return _BUILDERS[study.exam.modality](study)


def simulate(
    out: Path,
    studies: int,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
) -> SimulationSummary:
    """Write ``studies`` synthetic studies into ``out`` (one sub-folder each) and ``ground_truth.csv``.

    ``progress`` is called after each study with the number of studies written so far. The same
    ``studies`` and ``seed`` always give byte-identical files.
    """
    if studies < 0:
        raise ValueError("studies must be zero or more")
    out.mkdir(parents=True, exist_ok=True)
    rows: list[TruthRow] = []
    files = rdsr_files = image_files = 0
    patients: set[tuple[str, str]] = set()
    by_modality: Counter[str] = Counter()
    rdsr_by_modality: Counter[str] = Counter()
    for done, study in enumerate(plan_studies(seed, studies), start=1):
        output = build_study(study)
        folder = out / study_folder(study)
        folder.mkdir(exist_ok=True)
        for name, data in output.files:
            (folder / name).write_bytes(data)
        truth = output.truth
        rows.append(truth)
        files += len(output.files)
        rdsr_files += truth.rdsr_files
        image_files += truth.image_files
        patients.add((study.room.institution, study.patient.patient_id))
        by_modality[truth.modality] += 1
        rdsr_by_modality[truth.modality] += int(truth.has_rdsr)
        if progress is not None:
            progress(done)
    truth_path = out / GROUND_TRUTH_FILE
    write_ground_truth(rows, truth_path)
    return SimulationSummary(
        out=out,
        studies=len(rows),
        files=files,
        rdsr_files=rdsr_files,
        image_files=image_files,
        patients=len(patients),
        studies_by_modality=dict(sorted(by_modality.items())),
        rdsr_studies_by_modality=dict(sorted(rdsr_by_modality.items())),
        ground_truth=truth_path,
    )


def ground_truth(out: Path) -> list[TruthRow]:
    """The ground-truth rows of a simulation written into ``out``."""
    return read_ground_truth(out / GROUND_TRUTH_FILE)
