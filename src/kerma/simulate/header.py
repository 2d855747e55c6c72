"""Attributes every simulated object carries: patient, study, equipment, series and SOP identity."""

from __future__ import annotations

from datetime import date, datetime

from pydicom.uid import generate_uid

from kerma.simulate import encoding as E
from kerma.simulate.patients import age_string, fit_text
from kerma.simulate.quantities import decimal
from kerma.simulate.rooms import UID_ROOT
from kerma.simulate.study import Study

IMPLEMENTATION_UID = generate_uid(prefix=UID_ROOT, entropy_srcs=["kerma-simulate-implementation"])
IMPLEMENTATION_VERSION = "KERMA_SIM_1"

Elements = list[tuple[int, bytes]]


def da(day: date) -> str:
    """DICOM date."""
    return f"{day:%Y%m%d}"


def tm(moment: datetime) -> str:
    """DICOM time (whole seconds)."""
    return f"{moment:%H%M%S}"


def dt(moment: datetime) -> str:
    """DICOM date-time (whole seconds)."""
    return f"{moment:%Y%m%d%H%M%S}"


class Header:
    """Builds the shared elements of one study's objects in the room's character set."""

    def __init__(self, study: Study) -> None:
        self.study = study
        self.codec = study.codec

    def text(self, keyword: str, value: str) -> tuple[int, bytes]:
        """A string element, transliterated when the room's character set cannot hold it."""
        return E.keyed(keyword, fit_text(value, self.codec), self.codec)

    def common(self) -> Elements:
        """Patient, general study and general equipment modules."""
        study, room, patient = self.study, self.study.room, self.study.patient
        text = self.text
        elements: Elements = [
            text("StudyDate", da(study.start.date())),
            text("StudyTime", tm(study.start)),
            text("AccessionNumber", study.accession),
            text("Manufacturer", room.manufacturer),
            text("InstitutionName", room.institution),
            text("ReferringPhysicianName", ""),
            text("StationName", room.station_name),
            text("StudyDescription", study.local_name),
            text("InstitutionalDepartmentName", room.department),
            text("ManufacturerModelName", room.model),
            text("PatientName", patient.name),
            text("PatientID", patient.patient_id),
            text("PatientBirthDate", da(patient.birth_date)),
            text("PatientSex", patient.sex),
            text("PatientAge", age_string(study.age)),
            text("DeviceSerialNumber", room.serial_number),
            text("SoftwareVersions", room.software_versions),
            text("ProtocolName", study.protocol_name),
            E.keyed("StudyInstanceUID", study.study_uid),
            text("StudyID", str(1000 + study.index % 9000)),
        ]
        if room.charset:
            elements.append(text("SpecificCharacterSet", room.charset))
        if study.height_m is not None:
            elements.append(text("PatientSize", decimal(study.height_m, 2)))
        if study.weight_kg is not None:
            elements.append(text("PatientWeight", decimal(study.weight_kg, 1)))
        return elements

    def instance(
        self,
        *,
        modality: str,
        sop_class_uid: str,
        sop_instance_uid: str,
        series_uid: str,
        series_number: int,
        instance_number: int,
        series_time: datetime,
        content_time: datetime,
        series_description: str,
    ) -> Elements:
        """SOP common, general series and content date/time elements."""
        text = self.text
        return [
            E.keyed("SOPClassUID", sop_class_uid),
            E.keyed("SOPInstanceUID", sop_instance_uid),
            text("SeriesDate", da(series_time.date())),
            text("ContentDate", da(content_time.date())),
            text("SeriesTime", tm(series_time)),
            text("ContentTime", tm(content_time)),
            text("Modality", modality),
            text("SeriesDescription", series_description),
            E.keyed("SeriesInstanceUID", series_uid),
            text("SeriesNumber", str(series_number)),
            text("InstanceNumber", str(instance_number)),
        ]

    def file(self, sop_class_uid: str, sop_instance_uid: str, elements: Elements) -> bytes:
        """The Part 10 file of a dataset made of ``elements``."""
        return E.part10(
            sop_class_uid,
            sop_instance_uid,
            E.dataset(elements),
            IMPLEMENTATION_UID,
            IMPLEMENTATION_VERSION,
            self.study.room.ae_title or None,
        )
