"""Exam codes of the registry survey: code, names, modality, and the names facilities write instead.

CT codes and names are those of the German federal survey template (BfS four-digit CT codes). The codes
for radiography (DX), mammography (MG), fluoroscopy (RF) and interventional procedures (XA) are Kerma's
exam codes from :mod:`kerma.nomenclature` (the same codes the DRL sets use); each is tied to the exam
names the published German DRL tables use, so a facility writing the published name is understood.
An authority can replace or extend the list (CSV with the columns of :class:`Exam`), and can map codes
of earlier template versions with a code map.

The exam code decides the dose quantities: CT codes take CTDIvol and DLP, mammography AGD, the rest DAP.
"""

from __future__ import annotations

import csv
import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kerma.registry.textnorm import umlaut_spellings, words

QUANTITIES_BY_MODALITY: dict[str, tuple[str, ...]] = {
    "CT": ("ctdivol_mgy", "dlp_mgy_cm"),
    "MG": ("agd_mgy",),
    "DX": ("dap_gy_cm2",),
    "RF": ("dap_gy_cm2",),
    "XA": ("dap_gy_cm2",),
}


@dataclass(frozen=True, slots=True)
class Exam:
    """One exam of the survey."""

    code: str
    name: str
    name_de: str
    modality: str
    aliases: tuple[str, ...] = ()

    @property
    def quantities(self) -> tuple[str, ...]:
        """The dose fields this exam is surveyed with."""
        return QUANTITIES_BY_MODALITY[self.modality]


def _e(code: str, name: str, name_de: str, modality: str, *aliases: str) -> Exam:
    return Exam(code, name, name_de, modality, aliases)


BUILTIN: tuple[Exam, ...] = (
    # CT: BfS survey codes and names (English names as the BfS showed them; German names as facilities write).
    _e(
        "1010",
        "Cranium",
        "Hirnschädel",
        "CT",
        "Schädel",
        "Kopf",
        "CCT",
        "Kopf nativ",
        "Head",
        "Brain",
        "Cranium",
    ),
    _e(
        "1020",
        "Facial bones (diagnosis of tumor, trauma)",
        "Gesichtsschädel",
        "CT",
        "Gesichtsschädel",
        "Mittelgesicht",
        "Facial bones",
    ),
    _e(
        "1021",
        "Paranasal sinuses (sinusitis, surgery planning)",
        "Nasennebenhöhlen",
        "CT",
        "NNH",
        "Nasennebenhöhlen",
        "Paranasal sinuses",
        "Sinus",
    ),
    _e("1022", "Neck", "Hals", "CT", "Hals", "Halsweichteile", "Neck"),
    _e(
        "1100",
        "CT angiography of the brain-supplying vessels",
        "CT-Angiographie hirnversorgende Gefäße",
        "CT",
        "CTA hirnversorgende Gefäße",
        "CTA Hals",
        "CTA supraaortal",
        "Carotis CTA",
    ),
    _e(
        "1025",
        "Intervertebral disc spaces of the cervical spine",
        "HWS Bandscheiben",
        "CT",
        "HWS Bandscheiben",
        "Cervical spine discs",
    ),
    _e("1026", "Bones of the cervical spine", "HWS Knochen", "CT", "HWS", "HWS Knochen", "Cervical spine"),
    _e(
        "1033",
        "Intervertebral disc spaces of the thoracic spine",
        "BWS Bandscheiben",
        "CT",
        "BWS Bandscheiben",
        "Thoracic spine discs",
    ),
    _e("1034", "Bones of the thoracic spine", "BWS Knochen", "CT", "BWS", "BWS Knochen", "Thoracic spine"),
    _e(
        "1040",
        "Intervertebral disc spaces of the lumbar spine",
        "LWS Bandscheiben",
        "CT",
        "LWS Bandscheiben",
        "Lumbar spine discs",
    ),
    _e("1041", "Bones of the lumbar spine", "LWS Knochen", "CT", "LWS", "LWS Knochen", "Lumbar spine"),
    _e("1030", "Thorax (soft tissue)", "Thorax", "CT", "Thorax", "Thorax Weichteil", "Chest", "Thorax nativ"),
    _e(
        "1031",
        "High-contrast lung",
        "Lunge hochauflösend",
        "CT",
        "HRCT",
        "Lunge HR",
        "High-resolution lung",
        "Lunge hochauflösend",
    ),
    _e("1120", "Total aorta", "Aorta gesamt", "CT", "Aorta", "CTA Aorta", "Total aorta", "Aorta gesamt"),
    _e(
        "1110",
        "ECG-synchronised coronary angiography",
        "Koronar-CTA",
        "CT",
        "Koronar CTA",
        "Cardio CT",
        "Coronary CTA",
        "CCTA",
    ),
    _e("1050", "Abdomen (e.g. liver, pancreas)", "Oberbauch", "CT", "Oberbauch", "Abdomen", "Leber"),
    _e(
        "1060",
        "Abdomen and pelvis",
        "Abdomen-Becken",
        "CT",
        "Abdomen Becken",
        "Abdomen und Becken",
        "Abdomen pelvis",
        "Abdomen and pelvis",
    ),
    _e(
        "1065",
        "Torso (thorax + abdomen + pelvis)",
        "Thorax-Abdomen-Becken",
        "CT",
        "Thorax Abdomen Becken",
        "Stamm",
        "Torso",
        "Chest abdomen pelvis",
    ),
    _e("1070", "Pelvis soft tissue", "Becken Weichteil", "CT", "Becken", "Becken Weichteil", "Pelvis"),
    _e("1071", "Bones of the pelvis", "Becken Knochen", "CT", "Becken Knochen", "Bony pelvis"),
    # Radiography, mammography, fluoroscopy, interventions: Kerma's exam codes (kerma.nomenclature), with
    # the names the German DRL tables give these exams, which is what facilities write.
    _e(
        "K-XR-CHEST-PA",
        "XR chest 1 view PA",
        "Thorax p.a.",
        "DX",
        "Thorax pa",
        "Thorax",
        "Chest",
        "Rö Thorax",
        "Chest PA",
    ),
    _e("K-XR-CHEST-LAT", "XR chest lateral view", "Thorax lat", "DX", "Thorax seitlich", "Chest lateral"),
    _e(
        "K-XR-CHEST-AP",
        "XR chest 1 view AP (supine or bedside)",
        "Thorax a.p. (im Liegen)",
        "DX",
        "Thorax ap",
        "Thorax liegend",
        "Chest AP",
    ),
    _e(
        "K-XR-TSPINE-AP",
        "XR thoracic spine AP/PA view",
        "BWS a.p./p.a.",
        "DX",
        "BWS ap",
        "BWS",
        "Thoracic spine AP",
    ),
    _e(
        "K-XR-TSPINE-LAT",
        "XR thoracic spine lateral view",
        "BWS lat",
        "DX",
        "BWS seitlich",
        "Thoracic spine lateral",
    ),
    _e(
        "K-XR-LSPINE-AP",
        "XR lumbar spine AP/PA view",
        "LWS a.p./p.a.",
        "DX",
        "LWS ap",
        "LWS",
        "Lumbar spine AP",
    ),
    _e(
        "K-XR-LSPINE-LAT",
        "XR lumbar spine lateral view",
        "LWS lat",
        "DX",
        "LWS seitlich",
        "Lumbar spine lateral",
    ),
    _e("K-XR-ABDOMEN", "XR abdomen 1 view", "Abdomen a.p./p.a.", "DX", "Abdomen", "Abdomen ap", "Abdomen AP"),
    _e("K-XR-PELVIS", "XR pelvis 1 view AP", "Becken a.p./p.a.", "DX", "Becken", "Becken ap", "Pelvis AP"),
    _e("K-XR-SHOULDER", "XR shoulder", "Schulter (pro Ebene)", "DX", "Schulter", "Shoulder"),
    _e(
        "K-XR-SKULL-AP",
        "XR skull AP/PA view",
        "Schädel a.p./p.a.",
        "DX",
        "Schädel ap",
        "Schädel pa",
        "Skull AP",
    ),
    _e("K-XR-SKULL-LAT", "XR skull lateral view", "Schädel lat", "DX", "Schädel seitlich", "Skull lateral"),
    _e(
        "K-MG-SCREENING",
        "Mammo breast screening",
        "Mammographie cc und mlo",
        "MG",
        "Mammographie",
        "Mammo",
        "Mammography",
        "Screening Mammographie",
    ),
    _e(
        "K-MG-DIAGNOSTIC",
        "Mammo breast diagnostic",
        "Diagnostische Mammographie",
        "MG",
        "Kurative Mammographie",
    ),
    _e(
        "K-RF-SMALL-BOWEL",
        "FL small bowel (follow-through or enteroclysis)",
        "Dünndarm",
        "RF",
        "Sellink",
        "Small bowel",
    ),
    _e(
        "K-RF-COLON-ENEMA",
        "FL colon contrast enema",
        "Kolon Kontrasteinlauf",
        "RF",
        "Kolon",
        "Kontrasteinlauf",
    ),
    _e(
        "K-RF-PHLEBO-LEG",
        "FL venography of leg and pelvis",
        "Phlebographie Bein-Becken",
        "RF",
        "Phlebographie",
    ),
    _e("K-XA-CORO", "XA coronary angiography", "Koronarangiographie", "XA", "Coro", "Coronary angiography"),
    _e("K-XA-PCI", "XA percutaneous coronary intervention (PCI/PTCA)", "PCI", "XA", "PTCA"),
    _e(
        "K-XA-CORO-PCI",
        "XA coronary angiography and PCI in one session",
        "Koronarangiographie + PCI kombiniert",
        "XA",
        "Koro PCI",
        "Coronary angiography and PCI",
    ),
    _e(
        "K-XA-ANGIO-LEG",
        "XA arteriography of pelvis and legs",
        "Arteriographie Becken-Bein",
        "XA",
        "Becken Bein Angiographie",
    ),
    _e("K-XA-PTA", "XA percutaneous transluminal angioplasty (PTA) not further specified", "PTA", "XA"),
    _e("K-XA-PTA-PELVIS", "XA PTA of pelvic arteries", "PTA Becken", "XA", "PTA pelvis"),
    _e("K-XA-PTA-THIGH-KNEE", "XA PTA of thigh and knee arteries", "PTA Oberschenkel/Knie", "XA"),
    _e("K-XA-PTA-LOWER-LEG-FOOT", "XA PTA of lower leg and foot arteries", "PTA Unterschenkel/Fuss", "XA"),
    _e("K-XA-TACE", "XA transarterial chemoembolisation (TACE)", "TACE", "XA", "Chemoembolisation"),
    _e(
        "K-XA-EVAR",
        "XA endovascular aortic repair (EVAR/TEVAR)",
        "EVAR (Aorta thorakal/abdominal)",
        "XA",
        "EVAR",
        "TEVAR",
    ),
    _e("K-XA-TAVI", "XA transcatheter aortic valve implantation (TAVI)", "TAVI", "XA", "TAVR"),
    _e(
        "K-XA-ANEURYSM-COILING",
        "XA coiling of an intracranial aneurysm",
        "Coiling Hirnaneurysma",
        "XA",
        "Coiling",
        "Aneurysma Coiling",
    ),
    _e(
        "K-XA-THROMBECTOMY",
        "XA mechanical thrombectomy after stroke",
        "Thrombusaspiration nach Schlaganfall",
        "XA",
        "Thrombektomie",
        "Thrombusaspiration",
        "Thrombectomy",
    ),
)

_CODE_JUNK = re.compile(r"^(?:ct|code|nr|no)?[\s\-_.:#]*", re.I)
_TRAILING_ZERO = re.compile(r"^(\d+)[.,]0+$")
_GROUPED = re.compile(r"^(\d{1,3})[.,'\s](\d{3})$")
_PREFIXED = re.compile(r"^([a-z]{2})[\s\-_.]*0*(\d{1,2})$", re.I)


@dataclass(slots=True)
class Resolution:
    """A code found for a cell, how (rule) and how sure (1.0 = exact)."""

    code: str
    rule: str
    confidence: float


@dataclass(slots=True)
class Catalogue:
    """The exam list with lookups from codes, earlier codes and names."""

    exams: tuple[Exam, ...] = BUILTIN
    code_map: dict[str, str] = field(default_factory=dict)
    _by_code: dict[str, Exam] = field(default_factory=dict, init=False)
    _names: dict[str, dict[str, set[str]]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self._by_code = {e.code.upper(): e for e in self.exams}
        for e in self.exams:
            for text in (e.name, e.name_de, *e.aliases):
                for spelling in umlaut_spellings(text):
                    self._names.setdefault(e.modality, {}).setdefault(spelling, set()).add(e.code)

    def get(self, code: str | None) -> Exam | None:
        """The exam with exactly this code."""
        return self._by_code.get(code.upper()) if code else None

    def codes(self) -> list[str]:
        """All codes in catalogue order."""
        return [e.code for e in self.exams]

    def resolve_code(self, raw: object) -> Resolution | None:
        """A code from a code cell as written: ``1010``, ``1010.0``, ``CT-1010``, ``1.010``, an old code."""
        if raw is None or isinstance(raw, bool):
            return None
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        text = str(raw).strip().strip("'\"").strip()
        if not text:
            return None
        exact = self.get(text)
        if exact is not None:
            return Resolution(exact.code, "" if exact.code == text else "code_normalised", 1.0)
        old = self.code_map.get(text) or self.code_map.get(text.upper())
        if old and self.get(old):
            return Resolution(old, "old_code_mapped", 1.0)
        t = text
        m = _TRAILING_ZERO.match(t)
        if m:
            t = m.group(1)
        m = _GROUPED.match(t)
        if m:
            t = m.group(1) + m.group(2)
        head = t.split(" ")[0].split("\t")[0]
        for cand in (t, _CODE_JUNK.sub("", t), head, _CODE_JUNK.sub("", head)):
            if self.get(cand):
                return Resolution(self.get(cand).code, "code_normalised", 1.0)  # type: ignore[union-attr]
            mm = _PREFIXED.match(cand)
            if mm:
                code = f"{mm.group(1).upper()}{int(mm.group(2)):02d}"
                if self.get(code):
                    return Resolution(code, "code_normalised", 1.0)
            if cand in self.code_map and self.get(self.code_map[cand]):
                return Resolution(self.code_map[cand], "old_code_mapped", 1.0)
        # "1010 Cranium" / "1010 - Hirnschädel": a code followed by its name.
        m2 = re.match(r"^\s*([A-Za-z]{0,2}\d{2,4})\b", text)
        if m2 and self.get(m2.group(1)):
            return Resolution(self.get(m2.group(1)).code, "code_normalised", 1.0)  # type: ignore[union-attr]
        return None

    def resolve_name(self, raw: object, modalities: Iterable[str] = ()) -> Resolution | None:
        """A code from an exam name, restricted to ``modalities`` when given (the sheet's dose columns)."""
        if raw is None:
            return None
        text = words(str(raw))
        if not text:
            return None
        mods = [m for m in modalities if m in self._names] or list(self._names)
        exact: set[str] = set()
        for m in mods:
            exact |= self._names[m].get(text, set())
        if len(exact) == 1:
            return Resolution(next(iter(exact)), "exam_name_to_code", 1.0)
        if len(exact) > 1:
            return None
        # Close spellings ("Thorax pa." / "Hirnschaedel"): best ratio, clearly ahead of the next code.
        scored: dict[str, float] = {}
        for m in mods:
            for name, codes in self._names[m].items():
                ratio = difflib.SequenceMatcher(None, text, name).ratio()
                for c in codes:
                    scored[c] = max(scored.get(c, 0.0), ratio)
        ranked = sorted(scored.items(), key=lambda kv: -kv[1])
        if ranked and ranked[0][1] >= 0.86 and (len(ranked) == 1 or ranked[0][1] - ranked[1][1] >= 0.04):
            return Resolution(ranked[0][0], "exam_name_to_code", round(ranked[0][1], 3))
        return None


def load_code_map(path: Path) -> dict[str, str]:
    """Codes of earlier template versions: a CSV with columns ``old_code,code``."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return {
            r["old_code"].strip(): r["code"].strip()
            for r in csv.DictReader(fh)
            if r.get("old_code") and r.get("code")
        }


def load_catalogue(path: Path) -> tuple[Exam, ...]:
    """An authority's exam list: CSV with ``code,name,name_de,modality,aliases`` (aliases ``|``-separated)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return tuple(
            Exam(
                r["code"].strip(),
                r["name"].strip(),
                (r.get("name_de") or r["name"]).strip(),
                r["modality"].strip().upper(),
                tuple(a.strip() for a in (r.get("aliases") or "").split("|") if a.strip()),
            )
            for r in csv.DictReader(fh)
        )
