"""`kerma registry simulate-surveys`: messy facility survey files with a ground truth.

Every kind of damage registry import must repair appears: renamed, reordered, merged and missing header
cells, title and metadata rows, several sheets, German decimal commas and thousands separators, units
in headers and in cells, values entered in the wrong unit (a column or single rows off by 100 or
10 000), exam names and old codes instead of codes, text in numeric cells, empty and duplicated rows,
summary rows, long and wide tables, CT values on alternating CTDIvol/DLP rows, rows reporting the mean
of n exams (with and without the count), formulas with stored results, facility and year only in the
title or the file name, .xlsx/.xls/.ods/.csv (UTF-8 and Windows-1252), and a second file claiming the
same facility and year. ``_ground_truth.csv`` lists every record with where it is and its true values;
``_code_map.csv`` maps the old codes used.
"""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kerma.domain.units import Quantity, factor
from kerma.registry.catalogue import BUILTIN, Exam
from kerma.registry.repair import DEFAULT_MEAN_COUNT
from kerma.registry.writers import Formula, SheetModel, Value, write_csv, write_ods, write_xls, write_xlsx

DAMAGE_KINDS = (
    "renamed_headers",
    "reordered_columns",
    "merged_header",
    "missing_header",
    "title_rows",
    "several_sheets",
    "decimal_comma_text",
    "units_in_headers",
    "wrong_unit_column",
    "wrong_unit_rows",
    "exam_names",
    "old_codes",
    "text_in_numbers",
    "empty_rows",
    "duplicated_rows",
    "summary_row",
    "wide",
    "ct_alternating_rows",
    "mean_rows",
    "formulas",
    "meta_in_title",
    "duplicate_file",
)
"""Damage kinds the simulator applies; every one is used at least once when there are enough files."""

# Typical single-exam values used to draw simulated doses (simulation parameters, not reference data).
_TYPICAL_DAP = {
    "K-XR-CHEST-PA": 0.1,
    "K-XR-CHEST-LAT": 0.3,
    "K-XR-CHEST-AP": 0.12,
    "K-XR-TSPINE-AP": 0.8,
    "K-XR-TSPINE-LAT": 1.0,
    "K-XR-LSPINE-AP": 1.5,
    "K-XR-LSPINE-LAT": 2.5,
    "K-XR-ABDOMEN": 1.5,
    "K-XR-PELVIS": 1.8,
    "K-XR-SHOULDER": 0.2,
    "K-XR-SKULL": 0.5,
    "K-RF-SMALL-BOWEL": 30.0,
    "K-RF-COLON-ENEMA": 25.0,
    "K-RF-PHLEBO-LEG": 4.0,
    "K-XA-CORO": 25.0,
    "K-XA-PCI": 35.0,
    "K-XA-CORO-PCI": 45.0,
    "K-XA-ANGIO-LEG": 40.0,
    "K-XA-PTA": 40.0,
    "K-XA-PTA-PELVIS": 60.0,
    "K-XA-PTA-THIGH-KNEE": 30.0,
    "K-XA-PTA-LOWER-LEG-FOOT": 20.0,
    "K-XA-TACE": 150.0,
    "K-XA-EVAR": 150.0,
    "K-XA-TAVI": 60.0,
    "K-XA-ANEURYSM-COILING": 150.0,
    "K-XA-THROMBECTOMY": 120.0,
}
_TYPICAL_CT = {  # CTDIvol mGy, scan length cm
    "1010": (50.0, 15.0),
    "1020": (15.0, 12.0),
    "1021": (7.0, 10.0),
    "1022": (12.0, 20.0),
    "1100": (15.0, 30.0),
    "1025": (20.0, 8.0),
    "1026": (15.0, 15.0),
    "1033": (15.0, 12.0),
    "1034": (12.0, 25.0),
    "1040": (20.0, 10.0),
    "1041": (9.0, 20.0),
    "1030": (8.0, 35.0),
    "1031": (2.5, 35.0),
    "1120": (10.0, 60.0),
    "1110": (15.0, 15.0),
    "1050": (12.0, 30.0),
    "1060": (12.0, 45.0),
    "1065": (10.0, 70.0),
    "1070": (12.0, 25.0),
    "1071": (8.0, 25.0),
}
_TYPICAL_AGD = 1.5
SURVEY_CODES = (
    "1010", "1021", "1022", "1026", "1030", "1041", "1050", "1060", "1065", "1110",
    "K-XR-CHEST-PA", "K-XR-CHEST-LAT", "K-XR-LSPINE-AP", "K-XR-LSPINE-LAT", "K-XR-PELVIS", "K-XR-ABDOMEN",
    "K-MG-SCREENING", "K-XA-CORO", "K-XA-PCI", "K-RF-COLON-ENEMA",
)  # fmt: skip
"""The 20 exams the simulated survey asks for (10 CT, 6 radiography, mammography, 3 fluoroscopy)."""

_PLACES = (
    "Nordstadt", "Südhafen", "Am Weiher", "Lindenau", "Birkenfeld", "Eichwald", "Rosenau", "Talheim",
    "Bergen", "Auenstein", "Mühlbach", "Weststadt", "Kronau", "Seefeld", "Ahornhof", "Sonnenberg",
)  # fmt: skip
_KINDS = ("Klinikum", "Krankenhaus", "Radiologie", "MVZ", "Praxis", "Kreisklinik")

# Header spellings per field, German and English (all understood by the reader).
_HEADERS: dict[str, tuple[str, ...]] = {
    "data_source": ("Datenquelle", "Data source", "Quelle"),
    "year": ("Jahr", "Year", "Erhebungsjahr"),
    "facility": ("Einrichtung", "Facility ID", "Betreiber", "Krankenhaus"),
    "device": ("Gerät", "Device", "Anlage", "Raum", "Geräte-ID"),
    "exam_code": ("Untersuchungscode", "Exam code", "Code", "Code-Nr."),
    "exam_name": ("Untersuchung", "Exam", "Bezeichnung", "Untersuchungsart"),
    "dap": ("DAP", "DFP", "Dosisflächenprodukt", "KAP", "Flächendosisprodukt"),
    "agd": ("AGD", "MGD", "Mittlere Parenchymdosis"),
    "dlp": ("DLP", "Dosislängenprodukt"),
    "ctdivol": ("CTDIvol", "CTDI vol", "CTDI"),
    "ctdi_phantom": ("Phantom", "CTDI-Phantom"),
    "weight": ("Gewicht", "Körpergewicht", "Weight", "Patient weight"),
    "age": ("Alter", "Age", "Patientenalter"),
    "value_type": ("Mittelwert/Einzelwert", "Wertart", "Value type", "MW/EW"),
    "n_exams": ("Anzahl", "Anzahl Untersuchungen", "n", "Number of exams"),
    "comment": ("Bemerkung", "Comment", "Kommentar"),
}
_TEMPLATE_HEADERS = {
    "data_source": "Data source",
    "year": "Year",
    "facility": "Facility ID",
    "device": "Device ID",
    "exam_code": "Exam code",
    "exam_name": "Exam name",
    "dap": "DAP",
    "agd": "AGD",
    "dlp": "DLP",
    "ctdivol": "CTDIvol",
    "ctdi_phantom": "CTDI phantom",
    "weight": "Patient weight",
    "age": "Patient age",
    "value_type": "Mean or single",
    "n_exams": "Number of exams",
    "comment": "Comment",
}
_DAP_UNITS = ("Gy·cm²", "cGy·cm²", "µGy·m²", "dGy·cm²", "mGy·cm²", "cGy cm2", "uGy*m2", "Gy*cm^2")
_UNIT_NORM = {
    "Gy·cm²": "gy.cm2",
    "cGy·cm²": "cgy.cm2",
    "µGy·m²": "ugy.m2",
    "dGy·cm²": "dgy.cm2",
    "mGy·cm²": "mgy.cm2",
    "cGy cm2": "cgy.cm2",
    "uGy*m2": "ugy.m2",
    "Gy*cm^2": "gy.cm2",
    "mGy·cm": "mgy.cm",
    "mGy*cm": "mgy.cm",
    "mGy": "mgy",
}
_SECOND_ROW_BLANK = ("weight", "age", "value_type", "n_exams", "comment", "data_source")
_ATTR = {"dap": "dap_gy_cm2", "agd": "agd_mgy", "dlp": "dlp_mgy_cm", "ctdivol": "ctdivol_mgy"}
_QTY = {"dap": Quantity.DAP, "agd": Quantity.AIR_KERMA, "dlp": Quantity.DLP, "ctdivol": Quantity.AIR_KERMA}
TRUTH_COLUMNS = (
    "file",
    "sheet",
    "row",
    "column",
    "expect",
    "facility",
    "device",
    "year",
    "exam_code",
    "dap_gy_cm2",
    "agd_mgy",
    "dlp_mgy_cm",
    "ctdivol_mgy",
    "patient_weight_kg",
    "patient_age_years",
    "is_mean",
    "n_exams",
    "damage",
)


@dataclass(slots=True)
class Exposure:
    """One true record: an exam (or the mean of n exams) at a facility's device."""

    facility: str
    device: str
    year: int
    exam: Exam
    values: dict[str, float]
    weight: float | None
    age: float | None
    is_mean: bool = False
    n: int = 1
    n_missing: bool = False


@dataclass(slots=True)
class TruthRow:
    """Where a record was written and what it should read back as."""

    file: str
    sheet: str
    row: int
    column: str
    expect: str
    rec: Exposure | None
    damage: set[str] = field(default_factory=set)
    values: dict[str, float | None] = field(default_factory=dict)


@dataclass(slots=True)
class SimSummary:
    """What the simulator wrote."""

    files: int = 0
    records: int = 0
    expected_rejected: int = 0
    damage: dict[str, int] = field(default_factory=dict)


def _sig(x: float, digits: int = 3) -> float:
    if x == 0:
        return 0.0
    return round(x, max(0, digits - 1 - math.floor(math.log10(abs(x)))))


def _de(x: float, thousands: bool) -> str:
    """German number text: decimal comma, optional thousands dots."""
    text = f"{x:,.4f}".rstrip("0").rstrip(".") if thousands else repr(x)
    if thousands:
        return text.replace(",", "_").replace(".", ",").replace("_", ".")
    return text.replace(".", ",")


class _Facility:
    def __init__(
        self, rng: random.Random, idx: int, exams: Sequence[Exam], years: Sequence[int], n_exams: int
    ) -> None:
        self.name = f"{rng.choice(_KINDS)} {rng.choice(_PLACES)} {idx:03d}"
        self.factor = math.exp(rng.gauss(0, 0.3)) * (6.0 if rng.random() < 0.04 else 1.0)
        by_mod: dict[str, list[Exam]] = {}
        for e in exams:
            by_mod.setdefault(e.modality, []).append(e)
        mods = [m for m in ("CT", "DX", "XA", "MG", "RF") if m in by_mod]
        chosen: list[Exam] = []
        pool = [e for m in mods for e in by_mod[m]]
        chosen = rng.sample(pool, min(n_exams, len(pool)))
        self.devices: dict[str, list[Exam]] = {}
        for e in chosen:
            count = 1 if e.modality in ("MG", "RF") else rng.choice((1, 1, 2))
            name = {"CT": "CT", "DX": "Raum", "XA": "Angio", "MG": "Mammo", "RF": "DL"}[e.modality]
            for k in range(1, count + 1):
                self.devices.setdefault(f"{name} {k}", []).append(e)
        self.years = list(years)


def _draw(rng: random.Random, fac: _Facility, exam: Exam, device: str, year: int, as_mean: bool) -> Exposure:
    f = fac.factor * math.exp(rng.gauss(0, 0.35 if not as_mean else 0.12))
    values: dict[str, float] = {}
    if exam.modality == "CT":
        ctdi, length = _TYPICAL_CT.get(exam.code, (12.0, 25.0))
        c = ctdi * f
        values["ctdivol_mgy"] = c
        values["dlp_mgy_cm"] = c * length * math.exp(rng.gauss(0, 0.15))
    elif exam.modality == "MG":
        values["agd_mgy"] = _TYPICAL_AGD * math.exp(math.log(f) * 0.5)
    else:
        values["dap_gy_cm2"] = _TYPICAL_DAP.get(exam.code, 1.0) * f
    weight = round(rng.gauss(78, 14), 1) if rng.random() < 0.9 else None
    age = float(rng.randint(18, 92)) if rng.random() < 0.9 else None
    n = rng.randint(5, 40) if as_mean else 1
    return Exposure(fac.name, device, year, exam, values, weight, age, as_mean, n)


@dataclass(slots=True)
class _Plan:
    fmt: str
    damage: set[str]
    german: bool
    units: dict[str, str]
    wrong_exp: int = 0


class _Writer:
    """Builds the sheets of one file from records, applying the planned damage and noting the truth."""

    def __init__(
        self, rng: random.Random, plan: _Plan, file: str, catalogue_names: Callable[[Exam], str]
    ) -> None:
        self.rng = rng
        self.plan = plan
        self.file = file
        self.names = catalogue_names
        self.truth: list[TruthRow] = []

    # -- values -------------------------------------------------------------------------------------
    def _unit_of(self, key: str) -> str:
        return self.plan.units.get(
            key, {"dap": "Gy·cm²", "agd": "mGy", "dlp": "mGy·cm", "ctdivol": "mGy"}[key]
        )

    def written(self, key: str, canonical: float) -> tuple[float, float]:
        """(value as the facility writes it in the column's unit, the canonical value that text means)."""
        unit = _UNIT_NORM[self._unit_of(key)]
        f = factor(unit, _QTY[key])
        w = _sig(canonical / f, 4)
        return w, w * f

    def cell(self, value: float, damage: set[str], unit_text: str | None = None) -> Value:
        """A number as written: native, German text, text with junk, or a formula with its result."""
        p = self.plan
        r = self.rng
        if "formulas" in p.damage and p.fmt in ("xlsx", "ods") and r.random() < 0.3:
            damage.add("formulas")
            return Formula(f"{value!r}*1", value)
        text_needed = p.fmt == "csv" or "decimal_comma_text" in p.damage
        if "text_in_numbers" in p.damage and r.random() < 0.15:
            damage.add("text_in_numbers")
            num = _de(value, False) if p.german else repr(value)
            return (
                r.choice((f"ca. {num}", f"{num} (geschätzt)", f"~{num}"))
                if unit_text is None
                else f"{num} {unit_text}"
            )
        if text_needed and p.german:
            if "decimal_comma_text" in p.damage:
                damage.add("decimal_comma_text")
            return _de(value, thousands=value >= 1000 and r.random() < 0.7)
        if text_needed:
            return repr(value)
        return value

    # -- layouts --------------------------------------------------------------------------------------
    def header_text(self, fld: str) -> str:
        p = self.plan
        base = self.rng.choice(_HEADERS[fld]) if "renamed_headers" in p.damage else _TEMPLATE_HEADERS[fld]
        if fld in _ATTR:
            unit = self._unit_of(fld)
            if "units_in_headers" in p.damage or fld in p.units:
                return self.rng.choice((f"{base} [{unit}]", f"{base} ({unit})", f"{base} in {unit}"))
            return f"{base} ({unit})"
        if fld == "weight":
            return f"{base} (kg)"
        return base

    def long_sheet(self, name: str, recs: list[Exposure], with_meta_cols: bool) -> SheetModel:
        p = self.plan
        r = self.rng
        mods = {e.exam.modality for e in recs}
        dose_fields = [f for f in ("dap", "agd", "ctdivol", "dlp") if _needs(f, mods)]
        alternating = "ct_alternating_rows" in p.damage and mods == {"CT"}
        fields: list[str] = []
        if with_meta_cols:
            fields += ["data_source", "year", "facility"]
        fields += ["device", "exam_name" if "exam_names" in p.damage else "exam_code"]
        if alternating:
            fields += ["quantity", "value"]
        else:
            fields += dose_fields
            if "CT" in mods and r.random() < 0.5:
                fields.append("ctdi_phantom")
        fields += ["weight", "age"]
        if "mean_rows" in p.damage:
            fields += ["value_type", "n_exams"]
        if r.random() < 0.3:
            fields.append("comment")
        if "reordered_columns" in p.damage and "missing_header" not in p.damage:
            head, tail = fields[:2], fields[2:]
            r.shuffle(tail)
            fields = head + tail
        sm = SheetModel(name)
        header_row = 1
        if "title_rows" in p.damage or "meta_in_title" in p.damage:
            sm.rows.append([f"Erhebung diagnostischer Referenzwerte {recs[0].year}"])
            if "meta_in_title" in p.damage:
                sm.rows.append(["Einrichtung:", recs[0].facility])
                sm.rows.append([f"Jahr: {recs[0].year}"])
            sm.rows.append([])
            header_row = len(sm.rows) + 1
        titles: list[Value] = []
        for fld in fields:
            if fld == "quantity":
                titles.append(r.choice(("Messgröße", "Größe", "Parameter")))
            elif fld == "value":
                titles.append(r.choice(("Wert", "Value", "Dosiswert")))
            else:
                titles.append(self.header_text(fld))
        if "missing_header" in p.damage:
            cands = [i for i, f in enumerate(fields) if f in ("dap", "agd", "dlp")]
            if cands and not alternating:
                titles[cands[-1]] = None
        merged = "merged_header" in p.damage and p.fmt in ("xlsx", "xls", "ods")
        if merged:
            group: list[Value] = [None] * len(fields)
            dose_idx = [i for i, f in enumerate(fields) if f in _ATTR and titles[i] is not None]
            pat_idx = [i for i, f in enumerate(fields) if f in ("weight", "age")]
            for idxs, label in ((dose_idx, "Dosis"), (pat_idx, "Patient")):
                if len(idxs) >= 2 and idxs == list(range(idxs[0], idxs[-1] + 1)):
                    group[idxs[0]] = label
                    sm.merges.append((header_row, idxs[0], header_row, idxs[-1]))
            if sm.merges:
                sm.rows.append(group)
                header_row += 1
                # Columns without a group title are merged vertically over both header rows.
                for i, t in enumerate(titles):
                    if group[i] is None and t is not None and not any(m[1] <= i <= m[3] for m in sm.merges):
                        sm.rows[header_row - 2][i] = t
                        sm.merges.append((header_row - 1, i, header_row, i))
        sm.rows.append(titles)
        wrong_col = "dap" if "wrong_unit_column" in p.damage and "dap" in fields else None
        for rec in recs:
            dmg: set[str] = set()
            if alternating:
                self._alternating_rows(sm, fields, rec, dmg)
                continue
            row: list[Value] = [None] * len(fields)
            truth_vals: dict[str, float | None] = {}
            for i, fld in enumerate(fields):
                row[i] = self._field_value(fld, rec, truth_vals, dmg, wrong_col == fld)
            sm.rows.append(row)
            self._note(sm, len(sm.rows), "", rec, truth_vals, dmg)
            self._row_damage(sm, fields, recs)
        self._tail(sm, fields)
        return sm

    def _field_value(
        self, fld: str, rec: Exposure, truth: dict[str, float | None], dmg: set[str], wrong_column: bool
    ) -> Value:
        p = self.plan
        r = self.rng
        if fld == "data_source":
            return r.choice(("DMS", "RIS", "manuell", "Gerät"))
        if fld == "year":
            return rec.year
        if fld == "facility":
            return rec.facility
        if fld == "device":
            return rec.device
        if fld == "exam_code":
            if "old_codes" in p.damage and r.random() < 0.4:
                dmg.add("old_codes")
                code = rec.exam.code
                if code.isdigit():
                    return r.choice((f"{code}.0", f"CT-{code}", f"OLD-{code}", float(code)))
                return r.choice((code.lower(), f" {code} ", f"OLD-{code}"))
            return rec.exam.code
        if fld == "exam_name":
            dmg.add("exam_names")
            return self.names(rec.exam)
        if fld in _ATTR:
            attr = _ATTR[fld]
            if attr not in rec.values:
                return None
            w, canon = self.written(fld, rec.values[attr])
            truth[attr] = canon
            if wrong_column:
                dmg.add("wrong_unit_column")
                w = _sig(w * 10**self.plan.wrong_exp, 6)
            elif "wrong_unit_rows" in p.damage and fld == "dap" and r.random() < 0.08:
                dmg.add("wrong_unit_rows")
                w = _sig(w * 100, 6)
            return self.cell(
                w, dmg, self._unit_of(fld) if "text_in_numbers" in p.damage and r.random() < 0.3 else None
            )
        if fld == "ctdi_phantom":
            return (
                ("16" if rec.exam.code in ("1010", "1020", "1021", "1100") else "32")
                if r.random() < 0.9
                else None
            )
        if fld == "weight":
            if rec.weight is None:
                return None
            if "text_in_numbers" in p.damage and r.random() < 0.05:
                dmg.add("text_in_numbers")
                rec.weight = None
                return r.choice(("k.A.", "n.a.", "unbekannt"))
            return self.cell(rec.weight, dmg)
        if fld == "age":
            return None if rec.age is None else self.cell(rec.age, dmg)
        if fld == "value_type":
            if rec.is_mean:
                dmg.add("mean_rows")
                return r.choice(("Mittelwert", "MW", "mean"))
            return r.choice(("Einzelwert", "EW", "single", None))
        if fld == "n_exams":
            if rec.is_mean and rec.n_missing:
                return None
            return rec.n if rec.is_mean else (1 if r.random() < 0.5 else None)
        if fld == "comment":
            return r.choice((None, None, "", "Notfall", "adipös"))
        return None

    def _alternating_rows(self, sm: SheetModel, fields: list[str], rec: Exposure, dmg: set[str]) -> None:
        dmg.add("ct_alternating_rows")
        truth: dict[str, float | None] = {}
        first = len(sm.rows) + 1
        for k, (label, key) in enumerate((("CTDIvol [mGy]", "ctdivol"), ("DLP [mGy·cm]", "dlp"))):
            row: list[Value] = [None] * len(fields)
            for i, fld in enumerate(fields):
                if fld == "quantity":
                    row[i] = label
                elif fld == "value":
                    attr = _ATTR[key]
                    w = _sig(rec.values[attr], 4)
                    truth[attr] = w
                    row[i] = self.cell(w, dmg)
                elif k == 1 and (
                    fld in _SECOND_ROW_BLANK
                    or (fld in ("exam_code", "exam_name") and self.rng.random() < 0.5)
                ):
                    row[i] = None  # the DLP row repeats nothing but (sometimes) the exam
                else:
                    row[i] = self._field_value(fld, rec, truth, dmg, False)
            sm.rows.append(row)
        self._note(sm, first, "", rec, truth, dmg)

    def wide_sheet(self, device: str, recs: list[Exposure]) -> SheetModel:
        """One device per sheet: a row per exam code, values in numbered columns (CT on two rows)."""
        r = self.rng
        sm = SheetModel(device)
        fac = recs[0].facility
        sm.rows.append([f"Erfassungsbogen {device}"])
        if "meta_in_title" in self.plan.damage or r.random() < 0.5:
            sm.rows.append(["Einrichtung:", fac])
            sm.rows.append(["Jahr:", recs[0].year])
        by_exam: dict[str, list[Exposure]] = {}
        for e in recs:
            by_exam.setdefault(e.exam.code, []).append(e)
        width = max(len(v) for v in by_exam.values())
        ct = any(e.exam.modality == "CT" for e in recs)
        label = ct and r.random() < 0.7
        with_weight = not ct and r.random() < 0.5
        head: list[Value] = ["Code", "Untersuchung"]
        if label:
            head.append("Größe")
        style = r.choice(("{}", "Patient {}", "Pat. {}"))
        unit_note = (
            ""
            if ct
            else f" [{self._unit_of('agd' if any(e.exam.modality == 'MG' for e in recs) else 'dap')}]"
        )
        head += [style.format(i) + unit_note for i in range(1, width + 1)]
        if with_weight:
            head += [f"Gewicht {i}" for i in range(1, width + 1)]
        sm.rows.append(head)
        base = 3 if label else 2
        unit_text = {"dap": self._unit_of("dap"), "agd": "mGy"}
        for code, exps in by_exam.items():
            exam = exps[0].exam
            if exam.modality == "CT":
                first = len(sm.rows) + 1
                rows: list[list[Value]] = []
                for k, key in enumerate(("ctdivol", "dlp")):
                    ct_row: list[Value] = [
                        code if k == 0 or r.random() < 0.5 else None,
                        self.names(exam) if k == 0 else None,
                    ]
                    if label:
                        ct_row.append("CTDIvol [mGy]" if key == "ctdivol" else "DLP [mGy·cm]")
                    rows.append(ct_row)
                for j, e in enumerate(exps):
                    truth: dict[str, float | None] = {}
                    dmg = {"wide", "ct_alternating_rows"}
                    for k, key in enumerate(("ctdivol", "dlp")):
                        w = _sig(e.values[_ATTR[key]], 4)
                        truth[_ATTR[key]] = w
                        rows[k].append(self.cell(w, dmg))
                    e.weight = e.age = None
                    self._note(sm, first, _col(base + j), e, truth, dmg)
                sm.rows.extend(rows)
                continue
            key = "agd" if exam.modality == "MG" else "dap"
            row: list[Value] = [code, self.names(exam)]
            if label:
                row.append(key.upper())
            weights: list[Value] = []
            for j, e in enumerate(exps):
                w, canon = self.written(key, e.values[_ATTR[key]])
                dmg = {"wide"}
                row.append(self.cell(w, dmg))
                weights.append(e.weight if with_weight else None)
                if not with_weight:
                    e.weight = None
                e.age = None
                self._note(sm, len(sm.rows) + 1, _col(base + j), e, {_ATTR[key]: canon}, dmg)
            if with_weight:
                row += [None] * (width - len(exps)) + weights
            sm.rows.append(row)
        del unit_text
        return sm

    def _note(
        self,
        sm: SheetModel,
        row: int,
        column: str,
        rec: Exposure,
        vals: dict[str, float | None],
        dmg: set[str],
    ) -> None:
        self.truth.append(TruthRow(self.file, sm.name, row, column, "ok", rec, set(dmg), dict(vals)))

    def _row_damage(self, sm: SheetModel, fields: list[str], recs: list[Exposure]) -> None:
        p = self.plan
        r = self.rng
        if "empty_rows" in p.damage and r.random() < 0.05:
            sm.rows.append([])
        if "duplicated_rows" in p.damage and r.random() < 0.05:
            last = self.truth[-1]
            if last.row == len(sm.rows):
                sm.rows.append(list(sm.rows[-1]))
                self.truth.append(
                    TruthRow(self.file, sm.name, len(sm.rows), "", "rejected", None, {"duplicated_rows"})
                )

    def _tail(self, sm: SheetModel, fields: list[str]) -> None:
        if "summary_row" in self.plan.damage:
            row: list[Value] = [None] * len(fields)
            idx = next((i for i, f in enumerate(fields) if f in ("device", "exam_code", "exam_name")), 0)
            row[idx] = "Summe"
            dose = next((i for i, f in enumerate(fields) if f in _ATTR or f == "value"), None)
            if dose is not None:
                row[dose] = "123" if self.plan.fmt == "csv" else 123.0
            sm.rows.append(row)
            self.truth.append(
                TruthRow(self.file, sm.name, len(sm.rows), "", "rejected", None, {"summary_row"})
            )


def _code_row(e: Exam) -> list[Value]:
    return [e.code, e.name_de, None]


def _needs(fld: str, mods: set[str]) -> bool:
    if fld == "dap":
        return bool(mods & {"DX", "RF", "XA"})
    if fld == "agd":
        return "MG" in mods
    return "CT" in mods


def _col(i: int) -> str:
    from kerma.registry.readers.base import column_letter

    return column_letter(i)


def _plan(rng: random.Random, forced: set[str], german: bool) -> _Plan:
    fmt = rng.choices(("xlsx", "xls", "ods", "csv"), weights=(35, 15, 15, 35))[0]
    damage = {k for k in DAMAGE_KINDS if rng.random() < 0.25} | forced
    if {"merged_header", "ct_alternating_rows", "several_sheets", "wide"} & forced and fmt == "csv":
        fmt = rng.choice(("xlsx", "xls", "ods"))
    if "formulas" in forced and fmt not in ("xlsx", "ods"):
        fmt = rng.choice(("xlsx", "ods"))
    if "duplicate_file" in forced:
        fmt = "csv"
    units: dict[str, str] = {}
    if "units_in_headers" in damage:
        units["dap"] = rng.choice(_DAP_UNITS)
        units["dlp"] = rng.choice(("mGy·cm", "mGy*cm"))
    plan = _Plan(fmt, damage, german, units)
    if "wrong_unit_column" in damage:
        unit = units.get("dap", "Gy·cm²")
        plan.wrong_exp = rng.choice((2, 2, -4)) if _UNIT_NORM[unit] == "gy.cm2" else rng.choice((2, -2))
        if _UNIT_NORM[unit] in ("cgy.cm2", "ugy.m2", "mgy.cm2"):
            plan.wrong_exp = -2
    return plan


def _name_for(rng: random.Random) -> Callable[[Exam], str]:
    def name(e: Exam) -> str:
        return rng.choice((e.name_de, *e.aliases)) if e.aliases else e.name_de

    return name


def simulate_surveys(
    out: Path,
    facilities: int,
    seed: int = 0,
    years: Sequence[int] = (2023,),
    exams_per_facility: int = 8,
    records_per_exam: int = 6,
    formats: Sequence[str] | None = None,
) -> SimSummary:
    """Write messy survey files for ``facilities`` facilities into ``out`` with ``_ground_truth.csv``."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    by_code = {e.code: e for e in BUILTIN}
    exams = [by_code[c] for c in SURVEY_CODES]
    summary = SimSummary()
    truth: list[TruthRow] = []
    code_map: dict[str, str] = {}
    covered: set[str] = set()
    for i in range(facilities):
        fac = _Facility(rng, i + 1, exams, years, exams_per_facility)
        for year in years:
            todo = [k for k in DAMAGE_KINDS if k not in covered]
            forced = {todo[0]} if todo else set()
            german = rng.random() < 0.7
            plan = _plan(rng, forced, german)
            if formats:
                plan.fmt = rng.choice(list(formats))
            if fac.factor > 3.0:
                # An outlier facility keeps its true high doses: a wrong unit on top would be ambiguous.
                plan.damage -= {"wrong_unit_column", "wrong_unit_rows"}
            recs: list[Exposure] = []
            for device, dev_exams in fac.devices.items():
                for e in dev_exams:
                    n_rec = max(2, int(rng.gauss(records_per_exam, 1.5)))
                    for _ in range(n_rec):
                        as_mean = "mean_rows" in plan.damage and rng.random() < 0.15
                        x = _draw(rng, fac, e, device, year, as_mean)
                        if as_mean and rng.random() < 0.3:
                            x.n_missing = True
                        recs.append(x)
            written = _write_file(out, rng, fac, year, plan, recs, code_map, summary)
            truth.extend(written)
            for t in written:
                covered |= t.damage
    with (out / "_ground_truth.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(TRUTH_COLUMNS)
        for t in truth:
            rec = t.rec
            w.writerow(
                [
                    t.file,
                    t.sheet,
                    t.row,
                    t.column,
                    t.expect,
                    rec.facility if rec else "",
                    rec.device if rec else "",
                    rec.year if rec else "",
                    rec.exam.code if rec else "",
                    *[_fmt(t.values.get(a)) for a in ("dap_gy_cm2", "agd_mgy", "dlp_mgy_cm", "ctdivol_mgy")],
                    _fmt(rec.weight) if rec else "",
                    _fmt(rec.age) if rec else "",
                    int(rec.is_mean) if rec else "",
                    (DEFAULT_MEAN_COUNT if rec.n_missing else rec.n) if rec else "",
                    ";".join(sorted(t.damage)),
                ]
            )
            if t.expect == "ok":
                summary.records += 1
            else:
                summary.expected_rejected += 1
            for d in t.damage:
                summary.damage[d] = summary.damage.get(d, 0) + 1
    if code_map:
        with (out / "_code_map.csv").open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(("old_code", "code"))
            for k, v in sorted(code_map.items()):
                w.writerow((k, v))
    return summary


def _fmt(v: float | None) -> str:
    return "" if v is None else repr(float(v))


def _file_name(fac: _Facility, year: int, rng: random.Random, meta_cols: bool) -> str:
    stem = fac.name.replace(" ", rng.choice(("_", "-", " ")))
    return rng.choice((f"{stem}_{year}", f"DRW_{year}_{stem}", f"{stem} Erhebung {year}"))


def _write_file(
    out: Path,
    rng: random.Random,
    fac: _Facility,
    year: int,
    plan: _Plan,
    recs: list[Exposure],
    code_map: dict[str, str],
    summary: SimSummary,
) -> list[TruthRow]:
    meta_cols = not ({"meta_in_title", "wide"} & plan.damage) and rng.random() < 0.6
    stem = _file_name(fac, year, rng, meta_cols)
    ext = {"xlsx": ".xlsx", "xls": ".xls", "ods": ".ods", "csv": ".csv"}[plan.fmt]
    name = stem + ext
    writer = _Writer(rng, plan, name, _name_for(rng))
    sheets: list[SheetModel] = []
    if "wide" in plan.damage and plan.fmt != "csv":
        by_dev: dict[str, list[Exposure]] = {}
        for x in recs:
            x.is_mean = False
            x.n = 1
            x.n_missing = False
            by_dev.setdefault(x.device, []).append(x)
        sheets = [writer.wide_sheet(d, xs) for d, xs in by_dev.items()]
    elif ("several_sheets" in plan.damage or "ct_alternating_rows" in plan.damage) and plan.fmt != "csv":
        by_mod: dict[str, list[Exposure]] = {}
        for x in recs:
            by_mod.setdefault("CT" if x.exam.modality == "CT" else "Röntgen", []).append(x)
        sheets.append(
            SheetModel("Hinweise", [["Bitte füllen Sie für jede Untersuchung eine Zeile aus."], ["Danke!"]])
        )
        for label, xs in by_mod.items():
            sheets.append(writer.long_sheet(label, xs, meta_cols))
        sheets.append(
            SheetModel(
                "Codes",
                [["Code", "Untersuchung", "DRW CTDIvol (mGy)"], *[_code_row(e) for e in BUILTIN[:20]]],
            )
        )
    else:
        plan.damage.discard("wide")
        plan.damage.discard("several_sheets")
        sheet_name = (
            rng.choice(("Daten", "Tabelle1", "Sheet1", "Erhebung")) if plan.fmt != "csv" else Path(name).stem
        )
        sheets = [writer.long_sheet(sheet_name, recs, meta_cols)]
    if "old_codes" in plan.damage:
        for x in recs:
            code_map[f"OLD-{x.exam.code}"] = x.exam.code
    path = out / name
    if plan.fmt == "xlsx":
        write_xlsx(path, sheets)
    elif plan.fmt == "xls":
        write_xls(path, sheets)
    elif plan.fmt == "ods":
        write_ods(path, sheets)
    else:
        enc = "cp1252" if plan.german else "utf-8"
        write_csv(path, sheets[0], encoding=enc, delimiter=";" if plan.german else ",")
    summary.files += 1
    truth = writer.truth
    if "duplicate_file" in plan.damage and plan.fmt == "csv":
        copy = out / (stem + "_v2" + ext)
        copy.write_bytes(path.read_bytes() + b"\r\n")
        summary.files += 1
        for t in list(truth):
            if t.expect == "ok":
                truth.append(
                    TruthRow(
                        copy.name, Path(copy.name).stem, t.row, t.column, "rejected", None, {"duplicate_file"}
                    )
                )
    return truth
