"""The exam catalogue: what is done, how rooms name it locally, and typical doses.

Each exam has a short English standard label (the answer a protocol-mapping step should find), local
names in German, English, French and Italian as departments really write them, the patients it is done
on, and the technique and dose medians the generators draw around. Dose medians are typical European
values (national DRL surveys put the 75th percentiles a little above them).
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass

from kerma.simulate import codes as C
from kerma.simulate.codes import Code
from kerma.simulate.rooms import Room


@dataclass(frozen=True)
class CtSpec:
    """CT technique and dose for an adult of standard size."""

    region: Code
    phantom: str
    """'head' (16 cm) or 'body' (32 cm) CTDI phantom."""
    ctdivol_mgy: float
    length_mm: float
    kvp: int = 120
    contrast: float = 0.0
    """Probability the study is done with contrast (then bolus tracking where ``tracking``)."""
    tracking: bool = False
    extra_phase: float = 0.0
    """Probability of a second spiral (e.g. portal venous after arterial)."""
    mode: str = "spiral"
    """'spiral', 'head' (spiral or sequenced by room habit) or 'cardiac' (calcium score + gated CTA)."""
    size_dependent: bool = True
    """Tube current modulation scales dose with patient size (not for head scans)."""


@dataclass(frozen=True)
class DxView:
    """One radiographic projection."""

    region: Code
    view: Code | None
    label: str
    kvp: float
    mas: float
    dap_gy_cm2: float
    field_cm2: float


@dataclass(frozen=True)
class FluoroSpec:
    """A fluoroscopy-guided procedure (RF or XA)."""

    region: Code
    dap_gy_cm2: float
    fluoro_share: float
    """Part of the DAP delivered by fluoroscopy."""
    field_cm2: float
    """Typical field area at the reference point (sets Ka,r = DAP / area)."""
    fluoro_time_s: float
    fluoro_events: tuple[int, int]
    acquisitions: tuple[int, int]
    acq_rate: tuple[float, ...]
    """Frame rates of acquisition runs (per second)."""
    acq_seconds: tuple[float, float]
    fluoro_rate: tuple[float, ...] = (7.5, 15.0)
    kvp: tuple[int, int] = (70, 95)
    rotational: float = 0.0
    """Probability that one acquisition is a rotational run."""
    therapeutic: bool = False
    acq_label: str = "Acquisition"
    fluoro_label: str = "Fluoro"


@dataclass(frozen=True)
class MammoSpec:
    """Mammography views and dose."""

    views: tuple[tuple[str, str], ...]
    """(laterality 'L'/'R', view 'CC'/'MLO'/'ML') of the standard views."""
    agd_mgy: float
    """Median AGD of one view of a 50 mm breast."""
    extra_views: int = 0
    """Up to this many additional views (spot compressions, ML)."""


@dataclass(frozen=True)
class Exam:
    """One exam of the catalogue."""

    key: str
    modality: str
    label: str
    """Standard English name, the mapping target ('CT head', 'XR chest PA', ...)."""
    weight: float
    """Relative frequency within the modality."""
    names: dict[str, tuple[str, ...]]
    """Local names by language ('de', 'en', 'fr', 'it')."""
    number: int = 1
    """Section number for rooms that prefix names ('1.1 Kopf')."""
    siemens: tuple[str, str] = ("", "")
    """(region, protocol) for rooms writing 'Region^Protocol (Adult)'."""
    child_share: float = 0.0
    child_ages: tuple[float, float] = (0.0, 17.9)
    adult_ages: tuple[float, float, float] = (18.0, 95.0, 68.0)
    """(min, max, mode) of adult ages."""
    female_share: float = 0.5
    ct: CtSpec | None = None
    dx: tuple[DxView, ...] = ()
    limb: bool = False
    """The exam is of one side (knee, hand): laterality is written."""
    fluoro: FluoroSpec | None = None
    mammo: MammoSpec | None = None
    sigma: float = 0.3
    """Spread (log-normal sigma) of the dose between studies of one room."""


def _n(
    de: tuple[str, ...], en: tuple[str, ...], fr: tuple[str, ...], it: tuple[str, ...]
) -> dict[str, tuple[str, ...]]:
    return {"de": de, "en": en, "fr": fr, "it": it}


EXAMS: tuple[Exam, ...] = (
    # --- CT -----------------------------------------------------------------------------------------------
    Exam(
        key="ct-head",
        modality="CT",
        label="CT head",
        weight=0.27,
        names=_n(
            ("CT Schädel nativ", "CCT", "Kopf nativ", "Schädel", "CCT nativ", "Kopf"),
            ("HEAD ROUTINE", "CT Head", "Head w/o", "Brain", "CT BRAIN"),
            ("crâne", "TDM cérébrale", "Crâne sans inj.", "Encéphale", "TDM Crâne"),
            ("Cranio", "TC encefalo", "cranio basale", "TC cranio", "Encefalo s.m.d.c."),
        ),
        number=1,
        siemens=("Head", "HeadRoutine"),
        child_share=0.08,
        ct=CtSpec(C.HEAD, "head", 52.0, 160.0, mode="head", size_dependent=False),
        sigma=0.22,
    ),
    Exam(
        key="ct-chest",
        modality="CT",
        label="CT chest",
        weight=0.2,
        names=_n(
            ("Thorax", "CT Thorax KM", "Thorax nativ", "Thx", "Lunge nativ", "Thorax Staging"),
            ("CHEST ROUTINE", "Chest w/ contrast", "CT Thorax", "CHEST W"),
            ("Thorax", "TDM thoracique", "Thorax inj", "Thorax sans inj."),
            ("torace", "TC torace", "Torace mdc", "TC torace senza mdc"),
        ),
        number=5,
        siemens=("Thorax", "ThoraxRoutine"),
        child_share=0.04,
        ct=CtSpec(C.CHEST, "body", 7.5, 320.0, contrast=0.5),
        sigma=0.3,
    ),
    Exam(
        key="ct-abdomen-pelvis",
        modality="CT",
        label="CT abdomen-pelvis",
        weight=0.18,
        names=_n(
            ("Abdomen/Becken KM", "Abd-Becken", "Abdomen", "Abdomen Becken nativ", "Abdomen KM"),
            ("ABD PELVIS", "Abdomen Pelvis w", "AP Routine", "CT ABD/PEL"),
            ("Abdomino-pelvien", "TDM abdo-pelvienne", "AP inj", "Abdomen-pelvis"),
            ("addome completo", "TC addome-pelvi", "Addome mdc", "TC addome"),
        ),
        number=6,
        siemens=("Abdomen", "01_Routine"),
        child_share=0.03,
        ct=CtSpec(C.ABDOMEN_AND_PELVIS, "body", 10.5, 440.0, contrast=0.8, tracking=True, extra_phase=0.3),
        sigma=0.3,
    ),
    Exam(
        key="ct-chest-abdomen-pelvis",
        modality="CT",
        label="CT chest-abdomen-pelvis",
        weight=0.13,
        names=_n(
            ("Thorax/Abd KM", "Thx-Abd", "Staging TAP", "Ganzkörper Staging", "Thorax/Abdomen"),
            ("CAP", "Chest Abd Pelvis", "TAP w contrast", "CHEST/ABD/PELVIS"),
            ("TAP", "Thoraco-abdo-pelvien", "TDM TAP", "TAP inj"),
            ("Total body", "torace-addome", "TC TAP", "Total body mdc"),
        ),
        number=7,
        siemens=("Thorax", "TAP_KM"),
        child_share=0.01,
        ct=CtSpec(
            C.CHEST_ABDOMEN_PELVIS, "body", 10.0, 650.0, contrast=0.95, tracking=True, extra_phase=0.25
        ),
        sigma=0.3,
    ),
    Exam(
        key="ct-pulmonary-angio",
        modality="CT",
        label="CT pulmonary angiography",
        weight=0.07,
        names=_n(
            ("LAE-CT", "Pulmonalis-Angio", "CTA Lunge", "LE Ausschluss", "CT-Angio LAE"),
            ("CTPA", "PE Study", "Pulmonary Angio", "CTA CHEST PE"),
            ("Angio-TDM thoracique", "Angio EP", "AngioScanner pulm"),
            ("Angio-TC polmonare", "angio TEP", "Angio TC arterie polmonari"),
        ),
        number=5,
        siemens=("Thorax", "CTA_Pulmonary"),
        ct=CtSpec(C.CHEST, "body", 9.0, 300.0, kvp=100, contrast=1.0, tracking=True),
        sigma=0.35,
    ),
    Exam(
        key="ct-sinuses",
        modality="CT",
        label="CT paranasal sinuses",
        weight=0.05,
        names=_n(
            ("NNH", "Nasennebenhöhlen", "NNH low dose", "NNH nativ"),
            ("SINUS", "Sinuses", "CT SINUS LD"),
            ("Sinus", "Sinus de la face", "TDM sinus"),
            ("Seni paranasali", "TC seni", "Massiccio facciale"),
        ),
        number=2,
        siemens=("Head", "Sinus"),
        child_share=0.05,
        ct=CtSpec(C.PARANASAL_SINUS, "head", 12.0, 90.0, size_dependent=False),
        sigma=0.3,
    ),
    Exam(
        key="ct-lumbar-spine",
        modality="CT",
        label="CT lumbar spine",
        weight=0.05,
        names=_n(
            ("LWS", "LWS nativ", "Lendenwirbelsäule", "LWS-CT"),
            ("L-SPINE", "Lumbar Spine", "CT LSPINE"),
            ("Rachis lombaire", "TDM lombaire", "Rachis lomb."),
            ("Rachide lombare", "TC colonna lombare", "Rachide LS"),
        ),
        number=8,
        siemens=("Spine", "LSpine"),
        ct=CtSpec(C.LUMBAR_SPINE, "body", 16.0, 200.0),
        sigma=0.3,
    ),
    Exam(
        key="ct-coronary",
        modality="CT",
        label="CT coronary angiography",
        weight=0.05,
        names=_n(
            ("Cardio-CT", "Koronar-CTA", "CaScore+CTA", "Herz-CT"),
            ("CARDIAC CTA", "Coronary CTA", "CTA CORONARIES"),
            ("Coroscanner", "Coro-TDM", "Angio-TDM coronaire"),
            ("Cardio TC", "Coronaro-TC", "Angio TC coronarie"),
        ),
        number=4,
        siemens=("Heart", "CaScore_CorCTA"),
        adult_ages=(30.0, 85.0, 58.0),
        female_share=0.4,
        ct=CtSpec(C.HEART, "body", 22.0, 130.0, kvp=100, contrast=1.0, tracking=True, mode="cardiac"),
        sigma=0.4,
    ),
    # --- DX -----------------------------------------------------------------------------------------------
    Exam(
        key="xr-chest-pa",
        modality="DX",
        label="XR chest PA",
        weight=0.33,
        names=_n(
            ("THX pa", "Thorax p.a. stehend", "Thorax pa", "Rö Thorax", "Thorax 1 Eb."),
            ("CHEST PA", "Chest PA erect", "CXR PA", "Chest 1V"),
            ("Thorax face", "Thorax F debout", "RX thorax", "Radio pulmonaire"),
            ("torace pa", "RX torace", "Torace PA", "Rx torace 1P"),
        ),
        child_share=0.06,
        sigma=0.45,
        dx=(DxView(C.CHEST, C.POSTERO_ANTERIOR, "Chest PA", 125, 2.0, 0.1, 1400),),
    ),
    Exam(
        key="xr-chest-pa-lat",
        modality="DX",
        label="XR chest PA and lateral",
        weight=0.14,
        names=_n(
            ("Thorax 2 Eb.", "Thorax pa/seitl.", "Thx 2E", "Thorax pa + lat"),
            ("CHEST PA/LAT", "Chest 2 views", "CXR 2V"),
            ("Thorax F+P", "Thorax face profil", "RX thorax F/P"),
            ("torace 2P", "Torace PA e LL", "RX torace 2 proiezioni"),
        ),
        child_share=0.04,
        sigma=0.45,
        dx=(
            DxView(C.CHEST, C.POSTERO_ANTERIOR, "Chest PA", 125, 2.0, 0.1, 1400),
            DxView(C.CHEST, C.LATERAL, "Chest LAT", 125, 5.0, 0.25, 1300),
        ),
    ),
    Exam(
        key="xr-knee",
        modality="DX",
        label="XR knee",
        weight=0.12,
        names=_n(
            ("Knie 2 Eb.", "Kniegelenk", "Knie ap/seitl.", "Knie 2E"),
            ("KNEE 2V", "Knee AP/LAT", "XR KNEE"),
            ("Genou F+P", "Genou", "Genou face profil"),
            ("ginocchio 2P", "RX ginocchio", "Ginocchio AP-LL"),
        ),
        child_share=0.12,
        limb=True,
        sigma=0.45,
        dx=(
            DxView(C.KNEE, C.ANTERO_POSTERIOR, "Knee AP", 63, 4.0, 0.025, 400),
            DxView(C.KNEE, C.LATERAL, "Knee LAT", 63, 4.0, 0.025, 400),
        ),
    ),
    Exam(
        key="xr-lumbar-spine",
        modality="DX",
        label="XR lumbar spine",
        weight=0.1,
        names=_n(
            ("LWS 2 Eb.", "LWS ap/seitl.", "LWS in 2 Ebenen"),
            ("L-SPINE 2V", "Lumbar spine AP/LAT", "LSPINE"),
            ("Rachis lombaire F+P", "Rachis lombaire", "RX rachis lombaire"),
            ("rachide lombare 2P", "RX rachide lombosacrale"),
        ),
        sigma=0.45,
        dx=(
            DxView(C.LUMBAR_SPINE, C.ANTERO_POSTERIOR, "L-Spine AP", 80, 20.0, 0.7, 600),
            DxView(C.LUMBAR_SPINE, C.LATERAL, "L-Spine LAT", 90, 40.0, 1.1, 500),
        ),
    ),
    Exam(
        key="xr-pelvis",
        modality="DX",
        label="XR pelvis",
        weight=0.1,
        names=_n(
            ("Becken ap", "Beckenübersicht", "Becken a.p."),
            ("PELVIS AP", "Pelvis 1V", "XR PELVIS"),
            ("Bassin face", "Bassin", "RX bassin"),
            ("bacino AP", "RX bacino", "Bacino"),
        ),
        child_share=0.05,
        sigma=0.45,
        dx=(DxView(C.PELVIS, C.ANTERO_POSTERIOR, "Pelvis AP", 75, 20.0, 0.9, 1200),),
    ),
    Exam(
        key="xr-abdomen",
        modality="DX",
        label="XR abdomen",
        weight=0.08,
        names=_n(
            ("Abdomen Übersicht", "Abdomen leer", "Abdomen im Liegen"),
            ("ABDOMEN AP", "KUB", "Abdomen supine"),
            ("ASP", "Abdomen sans préparation", "ASP couché"),
            ("addome diretto", "RX addome", "Addome in clinostatismo"),
        ),
        child_share=0.05,
        sigma=0.45,
        dx=(DxView(C.ABDOMEN, C.ANTERO_POSTERIOR, "Abdomen AP", 75, 25.0, 1.2, 1400),),
    ),
    Exam(
        key="xr-hand",
        modality="DX",
        label="XR hand",
        weight=0.13,
        names=_n(
            ("Hand 2 Eb.", "Hand re. 2E", "Hand dv/schräg"),
            ("HAND 2V", "Hand PA/OBL", "XR HAND"),
            ("Main F+O", "Main face oblique", "RX main"),
            ("mano 2P", "RX mano", "Mano DP-OBL"),
        ),
        child_share=0.15,
        limb=True,
        sigma=0.45,
        dx=(
            DxView(C.HAND, C.POSTERO_ANTERIOR, "Hand PA", 55, 2.0, 0.012, 250),
            DxView(C.HAND, None, "Hand oblique", 55, 2.0, 0.012, 250),
        ),
    ),
    # --- MG -----------------------------------------------------------------------------------------------
    Exam(
        key="mg-screening",
        modality="MG",
        label="MG screening",
        weight=0.7,
        names=_n(
            ("Mammo Screening", "Screening-Mammographie", "Mammographie bds.", "MX beidseits"),
            ("SCREENING MAMMO", "Mammo Screen Bilat", "MAMMO SCREENING BILATERAL"),
            ("Mammographie de dépistage", "Mammo dépistage bilat.", "Dépistage organisé"),
            ("Mammografia screening", "mammografia bilaterale", "MX screening"),
        ),
        adult_ages=(45.0, 75.0, 58.0),
        female_share=1.0,
        sigma=0.2,
        mammo=MammoSpec((("R", "CC"), ("L", "CC"), ("R", "MLO"), ("L", "MLO")), 1.2),
    ),
    Exam(
        key="mg-diagnostic",
        modality="MG",
        label="MG diagnostic",
        weight=0.25,
        names=_n(
            ("Mammographie kurativ", "Mammo diagn. bds.", "Mammo + Zusatz", "Mammographie bds. kurativ"),
            ("DIAG MAMMO BILAT", "Diagnostic Mammogram", "MAMMO DIAG"),
            ("Mammographie diagnostique", "Mammo bilat + clichés compl.", "Mammographie bilatérale"),
            ("mammografia clinica", "Mammografia diagnostica", "MX bilaterale clinica"),
        ),
        adult_ages=(30.0, 88.0, 55.0),
        female_share=0.99,
        sigma=0.22,
        mammo=MammoSpec((("R", "CC"), ("L", "CC"), ("R", "MLO"), ("L", "MLO")), 1.3, extra_views=2),
    ),
    Exam(
        key="mg-unilateral",
        modality="MG",
        label="MG unilateral",
        weight=0.05,
        names=_n(
            ("Mammographie re.", "Mammographie li.", "Mammo einseitig"),
            ("MAMMO UNILAT", "Unilateral Mammogram"),
            ("Mammographie unilatérale", "Mammographie gauche", "Mammographie droite"),
            ("mammografia monolaterale", "mammografia dx", "mammografia sx"),
        ),
        adult_ages=(30.0, 90.0, 62.0),
        female_share=0.97,
        sigma=0.22,
        mammo=MammoSpec((("R", "CC"), ("R", "MLO")), 1.3, extra_views=1),
    ),
    # --- RF -----------------------------------------------------------------------------------------------
    Exam(
        key="rf-ercp",
        modality="RF",
        label="RF ERCP",
        weight=0.45,
        names=_n(
            ("ERCP", "ERC", "ERCP mit Stent", "ERCP/EPT"),
            ("ERCP", "ERCP W STENT"),
            ("CPRE", "Cathétérisme rétrograde", "CPRE + prothèse"),
            ("CPRE", "ERCP", "Colangio-pancreatografia"),
        ),
        adult_ages=(25.0, 95.0, 70.0),
        sigma=0.75,
        fluoro=FluoroSpec(
            C.BILE_DUCT,
            12.0,
            0.75,
            300.0,
            240.0,
            (3, 10),
            (2, 6),
            (1.0, 2.0),
            (1.0, 4.0),
            fluoro_rate=(3.0, 7.5),
            acq_label="Spot",
            fluoro_label="Fluoro Low",
        ),
    ),
    Exam(
        key="rf-swallow",
        modality="RF",
        label="RF barium swallow",
        weight=0.4,
        names=_n(
            ("Ösophagus-Breischluck", "Breischluck", "Gastrografinschluck", "Ösophagus KM"),
            ("BARIUM SWALLOW", "Swallow study", "Oesophagram"),
            ("TOGD", "Transit oeso-gastro-duodénal", "Transit oesophagien"),
            ("RX esofago", "Pasto baritato", "Esofago con mdc"),
        ),
        child_share=0.08,
        sigma=0.7,
        fluoro=FluoroSpec(
            C.ESOPHAGUS,
            6.0,
            0.6,
            350.0,
            120.0,
            (2, 6),
            (2, 8),
            (2.0, 4.0, 6.0),
            (1.0, 5.0),
            fluoro_rate=(3.0, 7.5),
            acq_label="Serie",
            fluoro_label="Fluoro",
        ),
    ),
    Exam(
        key="rf-mcu",
        modality="RF",
        label="RF voiding cystourethrography",
        weight=0.15,
        names=_n(
            ("MCU", "Miktionszystourethrographie", "MCU Kind"),
            ("VCUG", "MCUG", "Voiding cystourethrogram"),
            ("Cystographie rétrograde", "UCR", "Urétrocystographie mictionnelle"),
            ("cistouretrografia minzionale", "CUM", "Cistografia"),
        ),
        child_share=0.9,
        child_ages=(0.1, 10.0),
        sigma=0.7,
        fluoro=FluoroSpec(
            C.URETHRA,
            0.6,
            0.6,
            250.0,
            60.0,
            (2, 5),
            (1, 4),
            (1.0,),
            (1.0, 2.0),
            fluoro_rate=(3.0, 7.5),
            kvp=(60, 80),
            acq_label="Spot",
            fluoro_label="Fluoro",
        ),
    ),
    # --- XA -----------------------------------------------------------------------------------------------
    Exam(
        key="xa-coro",
        modality="XA",
        label="XA coronary angiography",
        weight=0.45,
        names=_n(
            ("Coro", "Koronarangiographie", "LHK", "Herzkatheter diagn.", "Coro li/re"),
            ("CORO", "Coronary Angiogram", "LHC", "Cath diagnostic"),
            ("Coronarographie", "Coro diag", "Coronarographie diagnostique"),
            ("coronarografia", "CORO", "Coronarografia diagnostica"),
        ),
        adult_ages=(35.0, 92.0, 67.0),
        female_share=0.32,
        sigma=0.6,
        fluoro=FluoroSpec(
            C.HEART,
            30.0,
            0.4,
            65.0,
            240.0,
            (5, 12),
            (6, 11),
            (15.0, 12.5),
            (3.0, 6.0),
            fluoro_rate=(7.5, 15.0),
            acq_label="Cardiac 15fps",
            fluoro_label="Fluoro Card",
        ),
    ),
    Exam(
        key="xa-pci",
        modality="XA",
        label="XA PCI",
        weight=0.35,
        names=_n(
            ("Coro PCI", "PTCA", "PCI RIVA", "Coro + PCI", "PCI RCA"),
            ("PCI", "Coronary Intervention", "CORO/PCI", "PTCA STENT"),
            ("Angioplastie coronaire", "ATL coro", "Coro + ATL"),
            ("PTCA", "angioplastica coronarica", "Coronarografia + PTCA"),
        ),
        adult_ages=(38.0, 92.0, 66.0),
        female_share=0.28,
        sigma=0.65,
        fluoro=FluoroSpec(
            C.HEART,
            70.0,
            0.5,
            60.0,
            900.0,
            (10, 20),
            (10, 18),
            (15.0, 12.5),
            (3.0, 6.0),
            fluoro_rate=(7.5, 15.0),
            therapeutic=True,
            acq_label="Cardiac 15fps",
            fluoro_label="Fluoro Card",
        ),
    ),
    Exam(
        key="xa-cerebral",
        modality="XA",
        label="XA cerebral angiography",
        weight=0.6,
        names=_n(
            ("DSA zerebral", "Cerebrale Angio", "Angio Kopf", "DSA Hirngefäße"),
            ("CEREBRAL ANGIO", "4-vessel angio", "Cerebral DSA"),
            ("Artériographie cérébrale", "Angio cérébrale"),
            ("Angiografia cerebrale", "DSA cerebrale"),
        ),
        adult_ages=(20.0, 88.0, 58.0),
        female_share=0.55,
        sigma=0.6,
        fluoro=FluoroSpec(
            C.CEREBRAL_ARTERY,
            90.0,
            0.35,
            180.0,
            600.0,
            (6, 14),
            (5, 12),
            (2.0, 3.0),
            (6.0, 12.0),
            fluoro_rate=(7.5, 10.0),
            rotational=0.4,
            acq_label="DSA Head",
            fluoro_label="Fluoro Neuro",
        ),
    ),
    Exam(
        key="xa-peripheral",
        modality="XA",
        label="XA lower limb angiography",
        weight=0.4,
        names=_n(
            ("Becken-Bein-Angio", "PTA A. fem. li", "BBA", "PTA A. poplitea re."),
            ("RUNOFF", "Peripheral Angio", "LOWER EXTREMITY ANGIO"),
            ("Artériographie des MI", "Angio MI", "Angioplastie fémorale"),
            ("Angiografia arti inferiori", "PTA arto inferiore"),
        ),
        adult_ages=(40.0, 95.0, 72.0),
        female_share=0.35,
        sigma=0.7,
        fluoro=FluoroSpec(
            C.LOWER_LIMB,
            40.0,
            0.45,
            350.0,
            420.0,
            (5, 15),
            (5, 12),
            (2.0, 3.0),
            (4.0, 10.0),
            fluoro_rate=(7.5, 15.0),
            acq_label="DSA Peripheral",
            fluoro_label="Fluoro Low",
        ),
    ),
)

EXAMS_BY_KEY: dict[str, Exam] = {exam.key: exam for exam in EXAMS}


def exams_for(modality: str) -> tuple[Exam, ...]:
    """Exams of one modality."""
    return tuple(exam for exam in EXAMS if exam.modality == modality)


def stable_fraction(*parts: str) -> float:
    """A number in [0, 1) that depends only on ``parts`` (not on the seed, not on Python's hash)."""
    return zlib.crc32("\x1f".join(parts).encode()) / 2**32


def local_names(exam: Exam, room: Room, child: bool, rng: random.Random) -> tuple[str, str]:
    """The (study description, protocol name) a room writes for an exam.

    Each room has a house name per exam it uses most of the time; the rest are colleagues' variants,
    occasionally in the room's second language. Style decorations follow the room's habit.
    """
    lang = room.languages[0]
    if len(room.languages) > 1 and rng.random() < 0.15:
        lang = room.languages[1]
    names = exam.names[lang]
    house = names[int(stable_fraction(room.key, exam.key, lang) * len(names))]
    name = house if rng.random() < 0.75 else rng.choice(names)
    if room.name_style == "siemens" and rng.random() < 0.7:
        region, protocol = exam.siemens
        protocol_name = protocol
        name = f"{region}^{protocol} ({'Child' if child else 'Adult'})"
        return name, protocol_name
    if room.name_style == "upper":
        name = name.upper()
    elif room.name_style == "numbered":
        name = f"{exam.number}.{1 + int(stable_fraction(room.key, exam.key) * 4)} {name}"
    roll = rng.random()
    if roll < 0.03:
        name = name.lower()
    elif roll < 0.05:
        name = f"{name} {rng.randint(1, 3):02d}"
    elif roll < 0.07:
        name = name.replace(" ", "  ", 1)
    return name, name.strip()
