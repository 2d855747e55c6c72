"""Trigger rules as data: what a rule says, how it is checked for sense, and how it reads from a dict.

A rule is a row of ``alert_rules``. Its kind decides how it is evaluated:

- ``threshold``: a quantity at a scope above an absolute value or above a multiple of the active DRL;
- ``dose_check``: the CT Dose Check alert or notification a scanner recorded in its RDSR (TID 10015);
- ``de_single_person``: the German single-person criteria (StrlSchV Anlage 14 I.2a);
- ``de_group``: the German group criterion (one exam above 3 x DRL, then the mean of the last 20).
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any

from kerma.alerts.quantities import QuantityError, Scope, resolve, to_canonical_threshold
from kerma.domain.units import CGY_CM2_TO_GY_CM2

DE_FLUORO_DAP_CGY_CM2 = 20_000.0
"""StrlSchV Anlage 14 I.2a: total DAP of a diagnostic fluoroscopy, as published (cGy·cm²)."""


class RuleError(ValueError):
    """A rule that makes no sense; the message says which field and why."""


class Kind(StrEnum):
    """How a rule is evaluated."""

    THRESHOLD = "threshold"
    DOSE_CHECK = "dose_check"
    DE_SINGLE_PERSON = "de_single_person"
    DE_GROUP = "de_group"


class Severity(StrEnum):
    """How urgent an alert is; recipients choose the lowest they want."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}

# Default parameters per kind (copied into the rule, so a rule shows everything that applies to it).
DEFAULT_PARAMS: dict[Kind, dict[str, Any]] = {
    Kind.THRESHOLD: {},
    Kind.DOSE_CHECK: {"which": "alert"},
    Kind.DE_SINGLE_PERSON: {
        "ct_brain_mgy": 120.0,
        "ct_other_mgy": 80.0,
        # Whether the CT limit applies per series or per exam is disputed: make it a setting.
        "ct_per": "series",
        # StrlSchV writes 20 000 cGy·cm²; stored in Gy·cm² like every DAP.
        "fluoro_dap_gy_cm2": DE_FLUORO_DAP_CGY_CM2 * CGY_CM2_TO_GY_CM2,
        "fluoro_modalities": ["RF"],
        "brain_exam_codes": ["1010"],
        "brain_pattern": r"(?i)brain|head|skull|cran|hirn|sch[äa]del|kopf",
    },
    Kind.DE_GROUP: {"trigger_factor": 3.0, "mean_factor": 2.0, "count": 20, "min_count": 20},
}
PATIENT_DEFAULTS: dict[str, Any] = {"window_days": 365}
DEVICE_DEFAULTS: dict[str, Any] = {"count": 20, "min_count": 1}


@dataclass(slots=True)
class Filters:
    """Which exams a rule looks at; empty means all."""

    modalities: list[str] = field(default_factory=list)
    rooms: list[str] = field(default_factory=list)
    """Device ids, display names or station names (case-insensitive)."""
    exam_codes: list[str] = field(default_factory=list)
    """Exam codes; a trailing '*' matches a prefix."""
    age_min: float | None = None
    age_max: float | None = None
    """Age band in years: age_min <= age < age_max."""
    weight_min: float | None = None
    weight_max: float | None = None
    """Weight band in kg: weight_min <= weight < weight_max."""
    protocol: str | None = None
    """Regular expression on the acquisition protocol (event scope) or study description."""
    target_region: str | None = None
    """Regular expression on the event's target region."""
    include_phantoms: bool = False

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Filters:
        """Filters from a dict; unknown keys are an error."""
        data = dict(data or {})
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise RuleError(
                f"filters: unknown key(s) {', '.join(sorted(unknown))}; valid: {', '.join(sorted(known))}"
            )
        f = cls(**data)
        f.modalities = [str(m).strip().upper() for m in f.modalities if str(m).strip()]
        f.rooms = [str(r).strip() for r in f.rooms if str(r).strip()]
        f.exam_codes = [str(c).strip() for c in f.exam_codes if str(c).strip()]
        for name in ("age_min", "age_max", "weight_min", "weight_max"):
            v = getattr(f, name)
            if v is not None:
                setattr(f, name, _number(v, f"filters.{name}", allow_zero=True))
        for name in ("protocol", "target_region"):
            pattern = getattr(f, name)
            if pattern:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise RuleError(f"filters.{name}: not a regular expression ({exc})") from None
        return f

    def as_dict(self) -> dict[str, Any]:
        """Only the filters that are set."""
        return {k: v for k, v in asdict(self).items() if v not in (None, [], False)}


@dataclass(slots=True)
class Rule:
    """One trigger rule."""

    name: str
    kind: Kind = Kind.THRESHOLD
    scope: Scope = Scope.STUDY
    quantity: str | None = None
    threshold: float | None = None
    drl_factor: float | None = None
    filters: Filters = field(default_factory=Filters)
    params: dict[str, Any] = field(default_factory=dict)
    severity: Severity = Severity.WARNING
    notify_roles: list[str] = field(default_factory=list)
    enabled: bool = True
    description: str | None = None
    source: str | None = None
    preset: str | None = None
    verified: bool = True
    id: int | None = None

    @property
    def uses_drl(self) -> bool:
        """True when the rule compares with the active DRL."""
        return self.drl_factor is not None or self.kind is Kind.DE_GROUP

    def as_dict(self) -> dict[str, Any]:
        """JSON form (what `kerma alerts rules export` writes and the API returns)."""
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind.value,
            "scope": self.scope.value,
            "quantity": self.quantity,
            "threshold": self.threshold,
            "drl_factor": self.drl_factor,
            "filters": self.filters.as_dict(),
            "params": self.params,
            "severity": self.severity.value,
            "notify_roles": self.notify_roles,
            "enabled": self.enabled,
            "description": self.description,
            "source": self.source,
            "preset": self.preset,
            "verified": self.verified,
        }


def _number(value: Any, name: str, *, allow_zero: bool = False) -> float:
    if isinstance(value, bool):
        raise RuleError(f"{name}: {value!r} is not a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RuleError(f"{name}: {value!r} is not a number") from None
    if not math.isfinite(number):
        raise RuleError(f"{name}: {value!r} is not a finite number")
    if number < 0 or (number == 0 and not allow_zero):
        raise RuleError(f"{name}: must be {'zero or more' if allow_zero else 'positive'}, got {value!r}")
    return number


def _enum(enum: type[StrEnum], value: Any, name: str) -> Any:
    try:
        return enum(str(value).strip().lower())
    except ValueError:
        valid = ", ".join(e.value for e in enum)
        raise RuleError(f"{name}: {value!r} is not one of {valid}") from None


def rule_from_dict(data: dict[str, Any], *, unit: str | None = None) -> Rule:
    """Build and validate a rule from a dict (CLI, API, JSON import, presets).

    ``unit`` is the unit ``threshold`` is given in (None: the quantity's canonical unit). Raises
    :class:`RuleError` with a message naming the field.
    """
    known = {f.name for f in fields(Rule)} | {"unit"}
    unknown = set(data) - known
    if unknown:
        raise RuleError(f"unknown field(s) {', '.join(sorted(unknown))}; valid: {', '.join(sorted(known))}")
    unit = data.get("unit", unit)
    name = str(data.get("name") or "").strip()
    if not name:
        raise RuleError("name: a rule needs a name")
    if len(name) > 200:
        raise RuleError("name: at most 200 characters")
    kind = _enum(Kind, data.get("kind", Kind.THRESHOLD), "kind")
    default_scope = {
        Kind.THRESHOLD: Scope.STUDY,
        Kind.DOSE_CHECK: Scope.EVENT,
        Kind.DE_SINGLE_PERSON: Scope.STUDY,
        Kind.DE_GROUP: Scope.DEVICE,
    }[kind]
    scope = _enum(Scope, data.get("scope") or default_scope, "scope")
    rule = Rule(
        name=name,
        kind=kind,
        scope=scope,
        filters=Filters.from_dict(data.get("filters")),
        severity=_enum(Severity, data.get("severity") or Severity.WARNING, "severity"),
        notify_roles=[str(r).strip().lower() for r in data.get("notify_roles") or [] if str(r).strip()],
        enabled=bool(data.get("enabled", True)),
        description=data.get("description"),
        source=data.get("source"),
        preset=data.get("preset"),
        verified=bool(data.get("verified", True)),
        id=data.get("id"),
    )
    params = dict(DEFAULT_PARAMS[kind])
    if scope is Scope.PATIENT:
        params.update(PATIENT_DEFAULTS)
    if scope is Scope.DEVICE and kind is Kind.THRESHOLD:
        params.update(DEVICE_DEFAULTS)
    given = data.get("params") or {}
    if not isinstance(given, dict):
        raise RuleError("params: must be an object")
    params.update(given)
    rule.params = params
    _check_kind(rule, data, unit)
    return rule


def _check_kind(rule: Rule, data: dict[str, Any], unit: str | None) -> None:
    threshold, factor = data.get("threshold"), data.get("drl_factor")
    kind, scope = rule.kind, rule.scope
    if kind is Kind.THRESHOLD:
        if (threshold is None) == (factor is None):
            raise RuleError("threshold: give exactly one of an absolute threshold and a DRL factor")
        if not data.get("quantity"):
            raise RuleError("quantity: a threshold rule needs a quantity")
        try:
            info = resolve(scope, str(data["quantity"]))
        except QuantityError as exc:
            raise RuleError(f"quantity: {exc}") from None
        rule.quantity = info.name
        if threshold is not None:
            value = _number(threshold, "threshold")
            try:
                rule.threshold = to_canonical_threshold(value, unit, info)
            except QuantityError as exc:
                raise RuleError(f"unit: {exc}") from None
        else:
            if scope is Scope.PATIENT:
                raise RuleError(
                    "drl_factor: a patient's cumulative dose has no DRL; use an absolute threshold"
                )
            if info.drl_quantity is None:
                raise RuleError(f"drl_factor: no DRL is defined for {info.name}; use an absolute threshold")
            rule.drl_factor = _number(factor, "drl_factor")
        if scope is Scope.PATIENT:
            rule.params["window_days"] = int(_number(rule.params["window_days"], "params.window_days"))
        if scope is Scope.DEVICE:
            rule.params["count"] = int(_number(rule.params["count"], "params.count"))
            rule.params["min_count"] = int(_number(rule.params["min_count"], "params.min_count"))
        return
    if threshold is not None or factor is not None:
        raise RuleError(
            f"threshold: a {kind.value} rule takes its limits from params, not threshold/drl_factor"
        )
    if kind is Kind.DOSE_CHECK:
        if scope is not Scope.EVENT:
            raise RuleError("scope: a dose_check rule is evaluated per event")
        if rule.params.get("which") not in ("alert", "notification", "any"):
            raise RuleError("params.which: alert, notification or any")
        return
    if kind is Kind.DE_SINGLE_PERSON:
        if scope is not Scope.STUDY:
            raise RuleError("scope: the single-person criteria are evaluated per study")
        for key in ("ct_brain_mgy", "ct_other_mgy", "fluoro_dap_gy_cm2"):
            rule.params[key] = _number(rule.params[key], f"params.{key}")
        if rule.params.get("ct_per") not in ("series", "exam"):
            raise RuleError("params.ct_per: series or exam")
        try:
            re.compile(str(rule.params.get("brain_pattern") or ""))
        except re.error as exc:
            raise RuleError(f"params.brain_pattern: not a regular expression ({exc})") from None
        return
    # DE_GROUP
    if scope is not Scope.DEVICE:
        raise RuleError("scope: the group criterion is evaluated per device")
    if not data.get("quantity"):
        raise RuleError("quantity: the group criterion needs the DRL quantity it compares")
    try:
        info = resolve(scope, str(data["quantity"]))
    except QuantityError as exc:
        raise RuleError(f"quantity: {exc}") from None
    if info.drl_quantity is None:
        raise RuleError(f"quantity: no DRL is defined for {info.name}")
    rule.quantity = info.name
    for key in ("trigger_factor", "mean_factor"):
        rule.params[key] = _number(rule.params[key], f"params.{key}")
    for key in ("count", "min_count"):
        rule.params[key] = int(_number(rule.params[key], f"params.{key}"))


def rule_from_row(row: Any) -> Rule:
    """A stored rule (no re-validation: it was validated when written)."""
    m = row._mapping if hasattr(row, "_mapping") else row
    return Rule(
        id=m["id"],
        name=m["name"],
        kind=Kind(m["kind"]),
        scope=Scope(m["scope"]),
        quantity=m["quantity"],
        threshold=m["threshold"],
        drl_factor=m["drl_factor"],
        filters=Filters(**(m["filters"] or {})),
        params=dict(m["params"] or {}),
        severity=Severity(m["severity"]),
        notify_roles=list(m["notify_roles"] or []),
        enabled=bool(m["enabled"]),
        description=m["description"],
        source=m["source"],
        preset=m["preset"],
        verified=bool(m["verified"]),
    )


def rule_values(rule: Rule) -> dict[str, Any]:
    """Column values of a rule for insert/update."""
    return {
        "name": rule.name,
        "kind": rule.kind.value,
        "scope": rule.scope.value,
        "quantity": rule.quantity,
        "threshold": rule.threshold,
        "drl_factor": rule.drl_factor,
        "filters": rule.filters.as_dict(),
        "params": rule.params,
        "severity": rule.severity.value,
        "notify_roles": rule.notify_roles,
        "enabled": rule.enabled,
        "description": rule.description,
        "source": rule.source,
        "preset": rule.preset,
        "verified": rule.verified,
    }
