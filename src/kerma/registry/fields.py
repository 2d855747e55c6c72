"""Survey columns and the many ways facilities title them (German and English), with units and numbers.

``classify("Dosisflächenprodukt [µGy·m²]")`` gives the field ``dap`` with the unit µGy·m²;
``classify("DAP 7")`` or ``classify("Patient 7")`` a numbered column of a wide sheet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from kerma.registry.textnorm import words
from kerma.registry.values import Unit, find_unit

# Field -> spellings after :func:`words` (lower case, no diacritics, punctuation as spaces).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "facility": (
        "facility",
        "facility id",
        "einrichtung",
        "einrichtungs id",
        "einrichtung id",
        "betreiber",
        "betreiber id",
        "betreibernummer",
        "krankenhaus",
        "klinik",
        "klinikum",
        "praxis",
        "institution",
        "hospital",
        "standort",
        "site",
    ),
    "device": (
        "device",
        "device id",
        "gerat",
        "geraet",
        "gerate id",
        "gerat id",
        "anlage",
        "raum",
        "room",
        "scanner",
        "modalitat",
        "rontgeneinrichtung",
        "rontgengerat",
        "system",
        "equipment",
    ),
    "year": ("year", "jahr", "erhebungsjahr", "berichtsjahr", "survey year"),
    "data_source": ("data source", "datenquelle", "quelle", "source", "herkunft der daten", "datenherkunft"),
    "exam_code": (
        "exam code",
        "code",
        "untersuchungscode",
        "untersuchungs code",
        "code nr",
        "kennung",
        "schlussel",
        "kennziffer",
        "drw code",
        "bfs code",
    ),
    "exam_name": (
        "exam",
        "exam name",
        "examination",
        "untersuchung",
        "untersuchungsart",
        "bezeichnung",
        "untersuchungsbezeichnung",
        "procedure",
        "prozedur",
        "untersuchungsregion",
    ),
    "dap": (
        "dap",
        "dfp",
        "kap",
        "pka",
        "p ka",
        "dosisflachenprodukt",
        "dosis flachen produkt",
        "dosis flachenprodukt",
        "flachendosisprodukt",
        "kerma flachen produkt",
        "dose area product",
        "air kerma area product",
    ),
    "agd": (
        "agd",
        "mgd",
        "parenchymdosis",
        "mittlere parenchymdosis",
        "average glandular dose",
        "mean glandular dose",
        "drusendosis",
    ),
    "dlp": ("dlp", "dosislangenprodukt", "dosis langen produkt", "dose length product"),
    "ctdivol": ("ctdivol", "ctdi vol", "ctdi", "ctdi v", "ctdivol mittel"),
    "ctdi_phantom": ("phantom", "ctdi phantom", "phantomgrosse", "phantom durchmesser", "referenzphantom"),
    "weight": ("weight", "patient weight", "gewicht", "korpergewicht", "kg", "gew", "patientengewicht"),
    "age": ("age", "patient age", "alter", "patientenalter", "lebensalter", "alter jahre"),
    "sex": ("sex", "gender", "geschlecht", "m w", "m w d"),
    "value_type": (
        "value type",
        "mean single",
        "mean or single",
        "mittelwert einzelwert",
        "einzelwert mittelwert",
        "wertart",
        "art des wertes",
        "mw ew",
        "typ",
        "art",
    ),
    "n_exams": (
        "n",
        "count",
        "number of exams",
        "anzahl",
        "anzahl untersuchungen",
        "anzahl der untersuchungen",
        "fallzahl",
        "n untersuchungen",
    ),
    "quantity": ("quantity", "messgrosse", "grosse", "dosisgrosse", "parameter", "dosimetrische grosse"),
    "value": ("value", "wert", "dosis", "dosiswert", "messwert", "dose"),
    "comment": ("comment", "bemerkung", "bemerkungen", "kommentar", "anmerkung", "notes", "hinweis"),
}

DOSE_KEYS = ("dap", "agd", "dlp", "ctdivol")
"""Header fields that hold a dose value of one quantity."""

FIELD_TO_ATTR = {"dap": "dap_gy_cm2", "agd": "agd_mgy", "dlp": "dlp_mgy_cm", "ctdivol": "ctdivol_mgy"}
"""Header field -> canonical SurveyRow attribute."""

_LOOKUP = {s: f for f, spellings in SYNONYMS.items() for s in spellings}
_BRACKETS = re.compile(r"[\[(].*?[\])]")
_UNIT_WORDS = re.compile(r"\b(?:in|pro|per|je|einheit|unit|kg|jahre|years|cm)\b")
_NUMBERED = re.compile(r"^(?P<prefix>.*?)\s*(?:nr\s*)?(?P<num>\d{1,3})\s*(?P<suffix>[a-z ]*)$")


@dataclass(frozen=True, slots=True)
class HeaderField:
    """What a header cell says: the field, the unit written in it, and a number for wide sheets."""

    field: str
    unit: Unit | None = None
    number: int | None = None


# All spellings of three letters or more as whole words, longest first so "ctdi phantom" beats "ctdi".
_CONTAINED = re.compile(
    r"(?<!\S)(?:"
    + "|".join(re.escape(sp) for sp in sorted((sp for sp in _LOOKUP if len(sp) >= 3), key=len, reverse=True))
    + r")(?!\S)"
)


def _match(text: str) -> str | None:
    if text in _LOOKUP:
        return _LOOKUP[text]
    # Longer titles that contain known spellings as whole words ("dlp gesamt", "dosis dap"): a generic
    # word ("dosis", "wert") loses to any field, then the longest spelling wins.
    hits = [
        (_LOOKUP[m.group(0)] != "value", len(m.group(0)), _LOOKUP[m.group(0)])
        for m in _CONTAINED.finditer(text)
    ]
    return max(hits)[2] if hits else None


def _numbered(text: str, unit: Unit | None) -> HeaderField | None:
    m = _NUMBERED.match(text)
    if not m or m.group("suffix").strip() not in ("", "patient", "pat", "untersuchung", "messung"):
        return None
    prefix = words(m.group("prefix"))
    num = int(m.group("num"))
    if prefix in (
        "",
        "patient",
        "pat",
        "untersuchung",
        "fall",
        "nr",
        "no",
        "messung",
        "wert",
        "value",
        "exam",
    ):
        return HeaderField("value", unit, num)
    fld = _match(prefix)
    if fld in (*DOSE_KEYS, "weight", "age", "value"):
        return HeaderField(fld, unit, num)
    return None


def classify(text: object) -> HeaderField | None:
    """The field a header cell names, or None when it names none of the survey's fields."""
    if text is None or not str(text).strip():
        return None
    return _classify(str(text))


@lru_cache(maxsize=8192)
def _classify(raw: str) -> HeaderField | None:
    # Header detection asks about every cell of the first rows of every sheet: the same texts recur.
    unit = find_unit(raw)
    base = raw.replace(unit.text, " ") if unit else raw
    low = words(base)
    if any(w in f" {low} " for w in (" drl ", " drw ", " referenzwert", " reference level", " dwr ")):
        return HeaderField("reference", unit)
    plain = words(_BRACKETS.sub(" ", base))
    stripped = words(_UNIT_WORDS.sub(" ", plain))
    numbered = _numbered(stripped, unit)
    if numbered is not None:
        return numbered
    found = [f for f in (_match(plain), _match(stripped), _match(words(_UNIT_WORDS.sub(" ", low)))) if f]
    if found:
        # "Dosis (DAP)": the specific dose named in brackets beats the generic word outside them.
        specific = [f for f in found if f in DOSE_KEYS]
        return HeaderField(specific[0] if specific and found[0] == "value" else found[0], unit)
    if unit is not None:
        # A title that is only a unit ("[mGy·cm]") or an unknown word plus a dose unit: a value column.
        return HeaderField("value", unit)
    return None
