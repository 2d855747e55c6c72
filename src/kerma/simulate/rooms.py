"""The device catalogue: rooms of four fictitious hospitals, each a modality with a stable identity.

A room is what a dose management system groups statistics by: manufacturer, model, station name,
serial number and the Device Observer UID an RDSR carries. The UID depends only on the room key, so the
same room has the same identity in every simulation, whatever the seed. Rooms differ in language (local
exam names), naming habits, character set, how complete the patient data are, and a little in dose.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from pydicom.uid import PYDICOM_ROOT_UID, generate_uid

UID_ROOT = PYDICOM_ROOT_UID
"""Prefix of every UID the simulator makes (pydicom's root for generated UIDs)."""

NORDSTADT = "Klinikum Nordstadt"
SAINTE_CLAIRE = "Hôpital Sainte-Claire"
SAN_ROCCO = "Ospedale San Rocco"
RIVERSIDE = "Riverside General Hospital"


@dataclass(frozen=True)
class Room:
    """One imaging room (modality) and its habits."""

    key: str
    modality: str
    manufacturer: str
    model: str
    station_name: str
    serial_number: str
    software_versions: str
    institution: str
    department: str
    languages: tuple[str, ...]
    """Languages of local exam names, most used first."""
    name_style: str = "plain"
    """How study descriptions are written: plain, upper, numbered ('1.1 Kopf') or siemens ('Head^...')."""
    charset: str | None = "ISO_IR 100"
    """Specific Character Set; None writes the default repertoire (ASCII, names transliterated)."""
    legacy_codes: bool = False
    """Writes SNOMED-RT (SRT) codes where current equipment writes SCT."""
    dose_factor: float = 1.0
    """Room median relative to the exam median."""
    exams: tuple[str, ...] | None = None
    """Exam keys done in this room; None means every exam of the modality."""
    biplane: bool = False
    weight_missing: float = 0.3
    height_missing: float = 0.5
    images_only_rate: float = 0.05
    """Share of studies that arrive as image objects without an RDSR."""
    ae_title: str = ""
    # CT habits
    detector_rows: int = 64
    single_collimation_mm: float = 0.625
    localizer_label: str = "Scout"
    tracker_label: str = "Monitoring"
    two_localizers: bool = False
    sequenced_head: bool = False
    dose_check: bool = False
    # mammography habits: anode and filter materials (names of codes in codes.py)
    mammo_targets: tuple[tuple[str, str], ...] = field(default=())

    @cached_property
    def device_observer_uid(self) -> str:
        """Stable Device Observer UID of this room (independent of the simulation seed)."""
        return generate_uid(prefix=UID_ROOT, entropy_srcs=["kerma-simulate-room", self.key])


ROOMS: tuple[Room, ...] = (
    # --- CT ------------------------------------------------------------------------------------------------
    Room(
        key="ct-nord-1",
        modality="CT",
        manufacturer="SIEMENS",
        model="SOMATOM Definition AS+",
        station_name="CTAWP73512",
        serial_number="73512",
        software_versions="syngo CT VB20A",
        institution=NORDSTADT,
        department="Radiologie",
        languages=("de", "en"),
        name_style="siemens",
        dose_factor=0.95,
        weight_missing=0.2,
        height_missing=0.3,
        ae_title="CTAWP73512",
        single_collimation_mm=0.6,
        localizer_label="Topogram",
        tracker_label="Monitoring",
        dose_check=True,
    ),
    Room(
        key="ct-nord-2",
        modality="CT",
        manufacturer="GE MEDICAL SYSTEMS",
        model="Optima CT660",
        station_name="CT2-NOTAUFNAHME",
        serial_number="415762CN4",
        software_versions="gmp_vct.43",
        institution=NORDSTADT,
        department="Notaufnahme",
        languages=("de",),
        name_style="numbered",
        dose_factor=1.15,
        weight_missing=0.6,
        height_missing=0.8,
        ae_title="CT2NA",
        localizer_label="Scout",
        tracker_label="SmartPrep",
        two_localizers=True,
        sequenced_head=True,
    ),
    Room(
        key="ct-claire-1",
        modality="CT",
        manufacturer="Philips",
        model="Incisive CT",
        station_name="Scanner Étage 2",
        serial_number="100452",
        software_versions="4.1.4.55000",
        institution=SAINTE_CLAIRE,
        department="Imagerie médicale",
        languages=("fr", "en"),
        charset="ISO_IR 192",
        dose_factor=1.05,
        ae_title="INCISIVE1",
        localizer_label="Surview",
        tracker_label="Tracker",
        two_localizers=True,
        dose_check=True,
    ),
    Room(
        key="ct-rocco-1",
        modality="CT",
        manufacturer="CANON_MEC",
        model="Aquilion Prime SP",
        station_name="TC_AQ_PRIME",
        serial_number="EAA1834012",
        software_versions="V10.6",
        institution=SAN_ROCCO,
        department="Radiologia",
        languages=("it",),
        dose_factor=0.9,
        ae_title="AQPRIME",
        detector_rows=80,
        single_collimation_mm=0.5,
        localizer_label="Scanogram",
        tracker_label="SUREStart",
        two_localizers=True,
        dose_check=True,
    ),
    Room(
        key="ct-rocco-2",
        modality="CT",
        manufacturer="SIEMENS",
        model="SOMATOM go.Top",
        station_name="CTGOTOP01",
        serial_number="109223",
        software_versions="syngo CT VA30A",
        institution=SAN_ROCCO,
        department="Pronto Soccorso",
        languages=("it", "en"),
        name_style="siemens",
        dose_factor=1.0,
        ae_title="CTGOTOP01",
        single_collimation_mm=0.7,
        localizer_label="Topogram",
        dose_check=True,
    ),
    Room(
        key="ct-river-1",
        modality="CT",
        manufacturer="GE MEDICAL SYSTEMS",
        model="Revolution EVO",
        station_name="RGHCT1",
        serial_number="512345CN7",
        software_versions="revo_evo.5",
        institution=RIVERSIDE,
        department="Radiology",
        languages=("en",),
        name_style="upper",
        charset=None,
        dose_factor=1.1,
        ae_title="RGHCT1",
        localizer_label="Scout",
        tracker_label="SmartPrep",
        two_localizers=True,
        sequenced_head=True,
    ),
    Room(
        key="ct-river-2",
        modality="CT",
        manufacturer="TOSHIBA",
        model="Aquilion",
        station_name="RGHCT2",
        serial_number="BAB0612345",
        software_versions="V4.86ER011",
        institution=RIVERSIDE,
        department="Radiology",
        languages=("en",),
        charset=None,
        legacy_codes=True,
        dose_factor=1.25,
        weight_missing=0.7,
        height_missing=0.9,
        images_only_rate=0.25,
        ae_title="RGHCT2",
        single_collimation_mm=0.5,
        localizer_label="Scanogram",
        tracker_label="RealPrep",
    ),
    # --- DX ------------------------------------------------------------------------------------------------
    Room(
        key="dx-nord-1",
        modality="DX",
        manufacturer="Siemens",
        model="Ysio Max",
        station_name="RÖ-RAUM 2",
        serial_number="10245",
        software_versions="VF10F",
        institution=NORDSTADT,
        department="Radiologie",
        languages=("de",),
        dose_factor=0.9,
        ae_title="YSIOMAX2",
    ),
    Room(
        key="dx-nord-2",
        modality="DX",
        manufacturer="Agfa",
        model="DX-D 600",
        station_name="DXD600-NA",
        serial_number="3271",
        software_versions="NX 20",
        institution=NORDSTADT,
        department="Notaufnahme",
        languages=("de",),
        name_style="upper",
        dose_factor=1.2,
        weight_missing=0.9,
        height_missing=0.95,
        images_only_rate=0.3,
        ae_title="DXD600NA",
    ),
    Room(
        key="dx-claire-1",
        modality="DX",
        manufacturer="Carestream Health",
        model="DRX-Evolution Plus",
        station_name="Salle Radio 1",
        serial_number="7664565",
        software_versions="5.7.412",
        institution=SAINTE_CLAIRE,
        department="Imagerie médicale",
        languages=("fr",),
        charset="ISO_IR 192",
        dose_factor=1.0,
        ae_title="DRXEVO1",
    ),
    Room(
        key="dx-rocco-1",
        modality="DX",
        manufacturer="Philips Medical Systems",
        model="DigitalDiagnost C90",
        station_name="DIGDIAG-RX1",
        serial_number="18204",
        software_versions="1.1.5",
        institution=SAN_ROCCO,
        department="Radiologia",
        languages=("it",),
        dose_factor=1.05,
        ae_title="DIGDIAG1",
    ),
    Room(
        key="dx-river-1",
        modality="DX",
        manufacturer="GE Healthcare",
        model="Definium 656",
        station_name="RGHXR1",
        serial_number="DF656-0093",
        software_versions="DM_Platform 3",
        institution=RIVERSIDE,
        department="Radiology",
        languages=("en",),
        name_style="upper",
        charset=None,
        dose_factor=1.1,
        ae_title="RGHXR1",
    ),
    Room(
        key="dx-river-2",
        modality="DX",
        manufacturer="Canon Inc.",
        model="CXDI Control Software NE",
        station_name="RGHXR2",
        serial_number="cabd8dc7c6d6",
        software_versions="2.14",
        institution=RIVERSIDE,
        department="Emergency",
        languages=("en",),
        charset=None,
        legacy_codes=True,
        dose_factor=0.85,
        weight_missing=0.95,
        height_missing=0.95,
        ae_title="RGHXR2",
    ),
    # --- MG ------------------------------------------------------------------------------------------------
    Room(
        key="mg-nord-1",
        modality="MG",
        manufacturer="HOLOGIC, Inc.",
        model="Selenia Dimensions",
        station_name="MAMMO-BZ1",
        serial_number="SDM12345678",
        software_versions="1.10.2.8",
        institution=NORDSTADT,
        department="Brustzentrum",
        languages=("de",),
        dose_factor=1.0,
        ae_title="HOLOGICBZ1",
        weight_missing=0.95,
        height_missing=0.95,
        mammo_targets=(("TUNGSTEN", "RHODIUM"), ("TUNGSTEN", "SILVER")),
    ),
    Room(
        key="mg-claire-1",
        modality="MG",
        manufacturer="GE HEALTHCARE",
        model="Senographe Pristina",
        station_name="Mammo Sénologie",
        serial_number="PRI0412",
        software_versions="ADS_80.10",
        institution=SAINTE_CLAIRE,
        department="Sénologie",
        languages=("fr",),
        charset="ISO_IR 192",
        dose_factor=0.9,
        weight_missing=0.95,
        height_missing=0.95,
        ae_title="PRISTINA1",
        mammo_targets=(("RHODIUM", "SILVER"), ("MOLYBDENUM", "MOLYBDENUM")),
    ),
    Room(
        key="mg-rocco-1",
        modality="MG",
        manufacturer="SIEMENS",
        model="MAMMOMAT Revelation",
        station_name="MAMMOMAT-SR",
        serial_number="3050",
        software_versions="VB10C",
        institution=SAN_ROCCO,
        department="Senologia",
        languages=("it",),
        dose_factor=1.1,
        ae_title="MAMMOMAT1",
        weight_missing=0.95,
        height_missing=0.95,
        mammo_targets=(("TUNGSTEN", "RHODIUM"),),
    ),
    Room(
        key="mg-river-1",
        modality="MG",
        manufacturer="HOLOGIC, Inc.",
        model="Selenia Dimensions",
        station_name="RGHMG1",
        serial_number="SDM87654321",
        software_versions="1.9.3.1",
        institution=RIVERSIDE,
        department="Breast Imaging",
        languages=("en",),
        name_style="upper",
        charset=None,
        dose_factor=1.05,
        images_only_rate=0.15,
        ae_title="RGHMG1",
        weight_missing=0.95,
        height_missing=0.95,
        mammo_targets=(("TUNGSTEN", "RHODIUM"), ("TUNGSTEN", "SILVER")),
    ),
    # --- RF ------------------------------------------------------------------------------------------------
    Room(
        key="rf-nord-1",
        modality="RF",
        manufacturer="Siemens",
        model="Luminos dRF Max",
        station_name="LUMINOS-GASTRO",
        serial_number="21340",
        software_versions="VF11B",
        institution=NORDSTADT,
        department="Gastroenterologie",
        languages=("de",),
        dose_factor=0.9,
        ae_title="LUMINOS1",
        weight_missing=0.4,
    ),
    Room(
        key="rf-claire-1",
        modality="RF",
        manufacturer="Philips",
        model="CombiDiagnost R90",
        station_name="Télécommandée 1",
        serial_number="CD90-117",
        software_versions="1.1.4",
        institution=SAINTE_CLAIRE,
        department="Imagerie médicale",
        languages=("fr",),
        charset="ISO_IR 192",
        dose_factor=1.1,
        ae_title="COMBIDIAG1",
    ),
    Room(
        key="rf-river-1",
        modality="RF",
        manufacturer="GE Healthcare",
        model="Precision 500D",
        station_name="RGHRF1",
        serial_number="P500D-2211",
        software_versions="5.2",
        institution=RIVERSIDE,
        department="Radiology",
        languages=("en",),
        name_style="upper",
        charset=None,
        dose_factor=1.3,
        images_only_rate=0.2,
        ae_title="RGHRF1",
    ),
    # --- XA ------------------------------------------------------------------------------------------------
    Room(
        key="xa-nord-1",
        modality="XA",
        manufacturer="Siemens",
        model="Artis zee biplane",
        station_name="AXIS-NEURO",
        serial_number="135012",
        software_versions="VD11C",
        institution=NORDSTADT,
        department="Neuroradiologie",
        languages=("de", "en"),
        dose_factor=1.0,
        biplane=True,
        ae_title="ARTISNEURO",
        exams=("xa-cerebral", "xa-peripheral"),
        weight_missing=0.1,
        height_missing=0.2,
    ),
    Room(
        key="xa-nord-2",
        modality="XA",
        manufacturer="Siemens",
        model="Artis Q",
        station_name="HKL1",
        serial_number="145230",
        software_versions="VE10A",
        institution=NORDSTADT,
        department="Kardiologie",
        languages=("de",),
        dose_factor=0.9,
        ae_title="ARTISQHKL1",
        exams=("xa-coro", "xa-pci"),
        weight_missing=0.1,
        height_missing=0.2,
    ),
    Room(
        key="xa-claire-1",
        modality="XA",
        manufacturer="Philips Medical Systems",
        model="AlluraXper",
        station_name="Cathlab Biplan",
        serial_number="722033",
        software_versions="8.1.17",
        institution=SAINTE_CLAIRE,
        department="Cardiologie interventionnelle",
        languages=("fr",),
        charset="ISO_IR 192",
        dose_factor=1.15,
        biplane=True,
        ae_title="ALLURA1",
        exams=("xa-coro", "xa-pci"),
    ),
    Room(
        key="xa-rocco-1",
        modality="XA",
        manufacturer="GE Healthcare",
        model="Innova IGS 520",
        station_name="EMODINAMICA1",
        serial_number="IGS520-0447",
        software_versions="DLX 3.0",
        institution=SAN_ROCCO,
        department="Emodinamica",
        languages=("it",),
        dose_factor=1.05,
        ae_title="INNOVA1",
        exams=("xa-coro", "xa-pci", "xa-peripheral"),
    ),
    Room(
        key="xa-river-1",
        modality="XA",
        manufacturer="Canon Medical Systems",
        model="Alphenix Sky +",
        station_name="RGHCATH1",
        serial_number="DFP8000-3321",
        software_versions="V8.1",
        institution=RIVERSIDE,
        department="Cath Lab",
        languages=("en",),
        name_style="upper",
        charset=None,
        dose_factor=0.95,
        ae_title="RGHCATH1",
        exams=("xa-coro", "xa-pci", "xa-peripheral"),
        images_only_rate=0.1,
    ),
)

ROOMS_BY_KEY: dict[str, Room] = {room.key: room for room in ROOMS}


def rooms_for(modality: str, exam_key: str) -> tuple[Room, ...]:
    """Rooms of ``modality`` where the exam ``exam_key`` is done."""
    return tuple(
        room for room in ROOMS if room.modality == modality and (room.exams is None or exam_key in room.exams)
    )
