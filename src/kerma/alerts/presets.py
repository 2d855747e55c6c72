"""Preset trigger rules, each citing its source. A preset is copied into the rules table, where it is an
ordinary editable rule: nothing here is evaluated directly.

Values are written as published (unit included) and converted with kerma.domain.units when copied.
``status`` follows the reference tables: V read in the issuer's own text, M from memory. M presets are
marked 'unverified — check the source' and copied with ``verified = false``.

Left out, for want of a quantity Kerma stores: peak skin dose (NCRP 168 SRDL 3 Gy, Joint Commission
15 Gy), and the German nuclear-medicine criteria on effective or organ dose *above the intended dose*.
AAPM's cardiac notification values are left out too: a stored event does not say which gating was used.
DRLs given per exposure (radiography, mammography views, CT series) are met by event-scope rules; DRLs
per study (DLP, fluoroscopy DAP) by study- and device-scope rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from kerma.alerts.rules import rule_from_dict
from kerma.alerts.rulestore import Saved, create_rule

UNVERIFIED = "unverified — check the source"

_STRLSCHV = "StrlSchV Anlage 14 I.2a (2018), single person"
_GROUP = (
    "StrlSchV Anlage 14 part I (2018), group criterion: one exam above 3 × DRL, then the mean of the last "
    "20 consecutive exams of the same type on the same device above 2 × DRL"
)
_DOSE_CHECK = "DICOM PS3.16 TID 10015 CT Dose Check Details (NEMA XR-25): what the scanner recorded"
_NCRP = "NCRP Report 168 (2010), substantial radiation dose level (SRDL) for FGI procedures"
_AAPM = "AAPM CT Dose Check notification and alert values (2011)"
_REGISTRY = "strahlenexposition_uba default outlier threshold (BfS DRL registry), 5 × DRL"

_HEAD = r"(?i)head|brain|skull|cran"
_TORSO = r"(?i)chest|thorax|abdomen|pelvis|torso|trunk|body"


@dataclass(frozen=True, slots=True)
class Preset:
    """A rule as a reference gives it."""

    id: str
    source: str
    status: str
    rule: dict[str, Any]
    unit: str | None = None
    """Unit of ``rule['threshold']`` as published (converted when copied)."""
    reference: tuple[str, str] | None = None
    """(source prefix, exam) of the row in the reference trigger-levels table it comes from."""
    published: tuple[float, str] | None = None
    """The value and unit as the reference table writes them."""
    notes: list[str] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        """False for values from memory."""
        return self.status != "M"

    @property
    def title(self) -> str:
        """The rule's name."""
        return str(self.rule["name"])

    def rule_data(self) -> dict[str, Any]:
        """What is copied into the rules table."""
        data = dict(self.rule)
        desc = data.get("description") or ""
        if not self.verified:
            desc = f"{UNVERIFIED}. {desc}".strip()
        data.update(
            description=desc or None,
            source=self.source,
            preset=self.id,
            verified=self.verified,
        )
        return data

    def as_dict(self) -> dict[str, Any]:
        """JSON form for `kerma alerts rules presets` and the API."""
        return {
            "id": self.id,
            "name": self.title,
            "source": self.source,
            "status": self.status,
            "verified": self.verified,
            "note": None if self.verified else UNVERIFIED,
            "published": {"value": self.published[0], "unit": self.published[1]} if self.published else None,
            "rule": self.rule_data(),
            "unit": self.unit,
        }


def _de_single(per: str) -> dict[str, Any]:
    return {
        "name": f"DE significant event: single person (CT per {per}, fluoroscopy DAP)",
        "kind": "de_single_person",
        "scope": "study",
        "severity": "critical",
        "params": {"ct_per": per},
        "description": (
            "CTDIvol above 120 mGy (brain CT) or 80 mGy (other CT), "
            f"applied per {per}; diagnostic fluoroscopy total DAP above 20 000 cGy·cm² (200 Gy·cm²)"
        ),
    }


def _de_group(quantity: str, label: str, modalities: list[str]) -> dict[str, Any]:
    return {
        "name": f"DE significant event: group ({label})",
        "kind": "de_group",
        "scope": "device",
        "quantity": quantity,
        "severity": "critical",
        "filters": {"modalities": modalities},
        "description": f"{label}: group criterion against the active DRL of the exam code",
    }


def _outlier(scope: str, quantity: str, label: str, modalities: list[str]) -> dict[str, Any]:
    return {
        "name": f"Above 5 × DRL ({label})",
        "scope": scope,
        "quantity": quantity,
        "drl_factor": 5.0,
        "severity": "warning",
        "filters": {"modalities": modalities},
    }


def _ct_notification(name: str, value: float, **filters: Any) -> dict[str, Any]:
    return {
        "name": f"AAPM CT notification value: {name}",
        "scope": "event",
        "quantity": "ctdivol_mgy",
        "threshold": value,
        "severity": "info",
        "filters": {"modalities": ["CT"], **filters},
    }


PRESETS: list[Preset] = [
    Preset(
        "de-single-person-series",
        _STRLSCHV,
        "V",
        _de_single("series"),
        reference=("StrlSchV Anlage 14 I.2a", "Any CT of the brain (single person)"),
        published=(120.0, "mGy"),
        notes=["also covers 'Any other CT of the body' (80 mGy) and fluoroscopy total DAP (20000 cGy*cm2)"],
    ),
    Preset(
        "de-single-person-exam",
        _STRLSCHV,
        "V",
        _de_single("exam"),
        reference=("StrlSchV Anlage 14 I.2a", "Any CT of the brain (single person)"),
        published=(120.0, "mGy"),
        notes=["the per-exam reading sums CTDIvol over the exam's series (localizers excluded)"],
    ),
    Preset("de-group-ct-dlp", _GROUP, "V", _de_group("total_dlp_mgy_cm", "CT DLP", ["CT"])),
    Preset("de-group-ct-ctdivol", _GROUP, "V", _de_group("ctdivol_mgy_mean", "CT CTDIvol", ["CT"])),
    Preset(
        "de-group-fluoro-dap", _GROUP, "V", _de_group("total_dap_gy_cm2", "fluoroscopy DAP", ["RF", "XA"])
    ),
    Preset(
        "ct-dose-check-alert",
        _DOSE_CHECK,
        "V",
        {
            "name": "CT Dose Check alert recorded by the scanner",
            "kind": "dose_check",
            "scope": "event",
            "params": {"which": "alert"},
            "severity": "critical",
            "description": "the scanner's accumulated forward estimate exceeded its configured alert value",
        },
    ),
    Preset(
        "ct-dose-check-notification",
        _DOSE_CHECK,
        "V",
        {
            "name": "CT Dose Check notification recorded by the scanner",
            "kind": "dose_check",
            "scope": "event",
            "params": {"which": "notification"},
            "severity": "info",
            "description": "a series' forward estimate exceeded the scanner's configured notification value",
        },
    ),
    *(
        Preset(
            f"registry-outlier-{key}",
            _REGISTRY,
            "V",
            _outlier(scope, q, label, mods),
            reference=("strahlenexposition_uba default outlier threshold", "any code"),
            published=(5.0, "x"),
        )
        for key, scope, q, label, mods in (
            ("ct-dlp", "study", "total_dlp_mgy_cm", "CT DLP", ["CT"]),
            ("ct-ctdivol", "event", "ctdivol_mgy", "CT CTDIvol of a series", ["CT"]),
            ("dap-exposure", "event", "dap_gy_cm2", "radiography DAP per exposure", ["DX", "CR"]),
            ("dap-study", "study", "total_dap_gy_cm2", "fluoroscopy DAP", ["RF", "XA"]),
            ("agd", "event", "agd_mgy", "mammography AGD per view", ["MG"]),
        )
    ),
    Preset(
        "ncrp168-kar",
        _NCRP,
        "M",
        {
            "name": "NCRP 168 SRDL: Ka,r above 5 Gy",
            "scope": "study",
            "quantity": "total_kar_mgy",
            "threshold": 5.0,
            "severity": "warning",
            "filters": {"modalities": ["XA"]},
        },
        unit="Gy",
        reference=("NCRP Report 168 SRDL", "FGI procedures"),
        published=(5.0, "Gy"),
    ),
    Preset(
        "ncrp168-kap",
        _NCRP,
        "M",
        {
            "name": "NCRP 168 SRDL: DAP above 500 Gy·cm²",
            "scope": "study",
            "quantity": "total_dap_gy_cm2",
            "threshold": 500.0,
            "severity": "warning",
            "filters": {"modalities": ["XA"]},
        },
        unit="Gy.cm2",
        reference=("NCRP Report 168 SRDL", "FGI procedures"),
        published=(500.0, "Gy*cm2"),
    ),
    Preset(
        "ncrp168-fluoro-time",
        _NCRP,
        "M",
        {
            "name": "NCRP 168 SRDL: fluoroscopy time above 60 min",
            "scope": "study",
            "quantity": "total_fluoro_time_s",
            "threshold": 60.0,
            "severity": "warning",
            "filters": {"modalities": ["XA"]},
        },
        unit="min",
        reference=("NCRP Report 168 SRDL", "FGI procedures"),
        published=(60.0, "min"),
    ),
    Preset(
        "aapm-ct-adult-head",
        _AAPM,
        "M",
        _ct_notification("adult head", 80.0, target_region=_HEAD, protocol=r"(?i)^(?!.*perf)", age_min=18.0),
        unit="mGy",
        reference=("AAPM CT Dose Check notification values", "Adult head"),
        published=(80.0, "mGy"),
    ),
    Preset(
        "aapm-ct-adult-torso",
        _AAPM,
        "M",
        _ct_notification("adult torso", 50.0, target_region=_TORSO, age_min=18.0),
        unit="mGy",
        reference=("AAPM CT Dose Check notification values", "Adult torso"),
        published=(50.0, "mGy"),
    ),
    Preset(
        "aapm-ct-paed-head-under-2",
        _AAPM,
        "M",
        _ct_notification("paediatric head, under 2 years", 50.0, target_region=_HEAD, age_max=2.0),
        unit="mGy",
        reference=("AAPM CT Dose Check notification values", "Paediatric head"),
        published=(50.0, "mGy"),
    ),
    Preset(
        "aapm-ct-paed-head-2-5",
        _AAPM,
        "M",
        _ct_notification(
            "paediatric head, 2 to 5 years", 60.0, target_region=_HEAD, age_min=2.0, age_max=5.0
        ),
        unit="mGy",
        reference=("AAPM CT Dose Check notification values", "Paediatric head"),
        published=(60.0, "mGy"),
    ),
    Preset(
        "aapm-ct-paed-torso-under-10",
        _AAPM,
        "M",
        _ct_notification(
            "paediatric torso, under 10 years (32 cm phantom)", 25.0, target_region=_TORSO, age_max=10.0
        ),
        unit="mGy",
        reference=("AAPM CT Dose Check notification values", "Paediatric torso (32 cm phantom)"),
        published=(25.0, "mGy"),
    ),
    Preset(
        "aapm-ct-brain-perfusion",
        _AAPM,
        "M",
        _ct_notification("brain perfusion", 600.0, protocol=r"(?i)perf", age_min=18.0),
        unit="mGy",
        reference=("AAPM CT Dose Check notification values", "Brain perfusion"),
        published=(600.0, "mGy"),
    ),
    Preset(
        "aapm-ct-alert-value",
        _AAPM,
        "M",
        {
            "name": "AAPM CT alert value: CTDIvol summed over the exam above 1000 mGy",
            "scope": "study",
            "quantity": "ctdivol_mgy_sum",
            "threshold": 1000.0,
            "severity": "warning",
            "filters": {"modalities": ["CT"]},
            "description": (
                "the published value is cumulative per scan location; this rule sums every series of the "
                "exam, which over-counts exams covering several regions"
            ),
        },
        unit="mGy",
        reference=("AAPM CT Dose Check alert value", "Any"),
        published=(1000.0, "mGy"),
    ),
]

BY_ID: dict[str, Preset] = {p.id: p for p in PRESETS}


def get_preset(preset_id: str) -> Preset:
    """A preset by id; KeyError lists the known ones."""
    try:
        return BY_ID[preset_id]
    except KeyError:
        raise KeyError(f"unknown preset {preset_id!r}; known: {', '.join(BY_ID)}") from None


def copy_preset(conn: Connection, preset_id: str, actor: str, name: str | None = None) -> Saved:
    """Copy a preset into the rules table as an ordinary, editable rule."""
    preset = get_preset(preset_id)
    data = preset.rule_data()
    if name:
        data["name"] = name
    return create_rule(conn, rule_from_dict(data, unit=preset.unit), actor)
