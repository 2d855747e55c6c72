"""Fault-tolerant reading of header attributes: absent, empty and corrupt values are told apart.

Dose quantities are read strictly (a present but unreadable or negative value rejects the object, naming
the attribute), technique factors leniently (an unreadable value is dropped with a warning). Lookups walk
a list of scopes: the dataset itself, then, for enhanced multi-frame objects, the functional group macros
of the shared group and of the first per-frame group, so pixel data and frames are never decoded.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence as DicomSequence

from kerma.domain.model import RejectedInput
from kerma.ingest.common import combine_da_tm, parse_dt


@lru_cache(maxsize=512)
def label(keyword: str) -> str:
    """'CTDIvol (0018,9345)': the attribute as messages name it."""
    tag = tag_for_keyword(keyword)
    if tag is None:
        return keyword
    return f"{keyword} ({tag >> 16:04X},{tag & 0xFFFF:04X})"


class _Unreadable(Exception):
    """The stored bytes of an attribute cannot be converted to a value."""


# VRs whose bytes are plain ASCII (no character set applies) and binary numbers: read directly from the
# undecoded element, which is about ten times faster than pydicom's general conversion. Everything else
# (text in a character set, sequences) goes through pydicom.
_ASCII_VRS = frozenset({"AE", "AS", "CS", "DA", "DS", "DT", "IS", "TM", "UI"})
_BINARY_VRS = {"FD": "d", "FL": "f", "US": "H", "SS": "h", "UL": "I", "SL": "i"}


@lru_cache(maxsize=1024)
def _tag(keyword: str) -> int | None:
    return tag_for_keyword(keyword)


@lru_cache(maxsize=1024)
def _dictionary_vr(tag: int) -> str | None:
    try:
        return dictionary_VR(tag)
    except KeyError:
        return None


def _decode_raw(elem: RawDataElement, tag: int) -> tuple[bool, Any]:
    """(True, value) when the raw bytes could be read here; (False, None) to let pydicom convert."""
    vr = elem.VR
    if vr is None or vr == "UN":  # implicit VR, or UN: the dictionary says what it is
        vr = _dictionary_vr(tag) or vr
    data = elem.value
    if not isinstance(data, bytes):
        return False, None
    if vr in _ASCII_VRS:
        text = data.decode("ascii", "replace").strip(" \x00")
        if "\\" in text:
            return True, [part.strip(" \x00") for part in text.split("\\")]
        return True, text
    fmt = _BINARY_VRS.get(vr or "")
    if fmt is None:
        return False, None
    size = struct.calcsize(fmt)
    if len(data) % size:
        raise _Unreadable(f"{len(data)} bytes cannot hold VR {vr} values of {size} bytes")
    values = struct.unpack(f"{'<' if elem.is_little_endian else '>'}{len(data) // size}{fmt}", data)
    return True, (values[0] if len(values) == 1 else list(values))


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip(" \x00")
    if isinstance(value, (MultiValue, list, tuple)):
        return all(isinstance(v, str) and not v.strip(" \x00") for v in value)
    if isinstance(value, (bytes, DicomSequence)):
        return len(value) == 0
    return False


def _first(value: Any) -> Any:
    if isinstance(value, (MultiValue, list, tuple)):
        return value[0] if len(value) else None
    return value


def to_float(value: Any) -> float | None:
    """A DS/IS/FD/FL/US value (first of several) as a finite float; None if it is not a number."""
    value = _first(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except (OverflowError, ValueError):
            return None
    elif isinstance(value, str):
        try:
            number = float(value.strip(" \x00"))
        except (ValueError, OverflowError):
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _to_text(value: Any) -> str | None:
    if isinstance(value, (MultiValue, list, tuple)):
        text = "\\".join(str(v) for v in value)
    elif isinstance(value, (bytes, DicomSequence, Dataset)):
        return None
    else:
        text = str(value)
    text = text.replace("\x00", "").strip()
    return text or None


def macro_scopes(ds: Dataset) -> list[Dataset]:
    """The dataset, then the macro items of the shared and the first per-frame functional group.

    Enhanced CT/XA/XRF/MG/PET objects keep exposure data in functional groups (e.g. the CT Exposure
    Sequence (0018,9321)); the first frame stands for the acquisition (its values are the same for every
    frame, or the first is the best single value a header offers).
    """
    scopes = [ds]
    for group_keyword in ("SharedFunctionalGroupsSequence", "PerFrameFunctionalGroupsSequence"):
        if group_keyword not in ds:
            continue
        try:
            groups = ds[group_keyword].value
            group = groups[0] if groups else None
            if group is None:
                continue
            for elem in group:
                if elem.VR == "SQ" and elem.value:
                    scopes.append(elem.value[0])
        except Exception:  # a malformed functional group only loses its optional values
            continue
    if "XRayAcquisitionDoseSequence" in ds:
        try:
            items = ds["XRayAcquisitionDoseSequence"].value
            if items:
                scopes.append(items[0])
        except Exception:  # optional container; unreadable means absent
            pass
    return scopes


class Fields:
    """Attribute access over a list of scopes, collecting warnings for dropped values."""

    __slots__ = ("scopes", "warnings")

    def __init__(self, scopes: Sequence[Dataset], warnings: list[str] | None = None) -> None:
        self.scopes = scopes
        self.warnings = warnings if warnings is not None else []

    def scoped(self, ds: Dataset) -> Fields:
        """The same reader over one dataset only (a sequence item), sharing the warnings."""
        return Fields([ds], self.warnings)

    def raw(self, keyword: str) -> Any:
        """The first non-empty value of ``keyword`` across the scopes; None when absent or empty."""
        tag = _tag(keyword)
        if tag is None:
            return None
        for scope in self.scopes:
            elem = scope.get_item(tag)
            if elem is None:
                continue
            try:
                done, value = _decode_raw(elem, tag) if isinstance(elem, RawDataElement) else (False, None)
                if not done:
                    # pydicom's conversion errors (wrong length, overflow, decoding) share no base class,
                    # so any failure means "unreadable".
                    value = scope[tag].value
            except _Unreadable:
                raise
            except Exception as exc:
                raise _Unreadable(f"{type(exc).__name__}: {exc}") from exc
            if not _is_empty(value):
                return value
        return None

    def has(self, keyword: str) -> bool:
        """Whether any scope holds a non-empty (or unreadable) value of the attribute."""
        try:
            return self.raw(keyword) is not None
        except _Unreadable:
            return True

    def number(self, keyword: str, *, positive: bool = False) -> float | None:
        """A technique value; unreadable, non-numeric (or, with ``positive``, non-positive) gives None."""
        try:
            value = self.raw(keyword)
        except _Unreadable as exc:
            self.warnings.append(f"{label(keyword)} unreadable ({exc}); ignored")
            return None
        if value is None:
            return None
        number = to_float(value)
        if number is None:
            self.warnings.append(f"{label(keyword)} is not a number ({_first(value)!r}); ignored")
            return None
        if positive and number <= 0:
            return None  # zero is the usual placeholder for "not recorded"
        return number

    def dose(self, keyword: str) -> float | None:
        """A dose quantity: absent gives None; unreadable, non-numeric or negative rejects the object."""
        try:
            value = self.raw(keyword)
        except _Unreadable as exc:
            raise RejectedInput(f"unreadable value ({exc})", label(keyword)) from exc
        if value is None:
            return None
        number = to_float(value)
        if number is None:
            raise RejectedInput(f"not a number: {str(_first(value))[:40]!r}", label(keyword))
        if number < 0:
            raise RejectedInput(f"negative dose value {number:g}", label(keyword))
        return number

    def text(self, keyword: str) -> str | None:
        """A string attribute, stripped; multiple values joined with a backslash; None if absent."""
        try:
            value = self.raw(keyword)
        except _Unreadable as exc:
            self.warnings.append(f"{label(keyword)} unreadable ({exc}); ignored")
            return None
        return None if value is None else _to_text(value)

    def items(self, keyword: str, *, strict: bool = False) -> list[Dataset]:
        """The items of a sequence; an unreadable sequence rejects the object when ``strict``."""
        try:
            value = self.raw(keyword)
        except _Unreadable as exc:
            if strict:
                raise RejectedInput(f"unreadable sequence ({exc})", label(keyword)) from exc
            self.warnings.append(f"{label(keyword)} unreadable ({exc}); ignored")
            return []
        if value is None:
            return []
        if not isinstance(value, DicomSequence):
            if strict:
                raise RejectedInput("not a sequence", label(keyword))
            return []
        return [item for item in value if isinstance(item, Dataset)]

    def code(self, keyword: str) -> tuple[str | None, str | None]:
        """(Code Value, Code Meaning) of the first item of a code sequence."""
        for item in self.items(keyword):
            sub = self.scoped(item)
            value, meaning = sub.text("CodeValue"), sub.text("CodeMeaning")
            if value or meaning:
                return value, meaning
        return None, None

    def datetime_of(self, dt_keyword: str | None, date_keyword: str, time_keyword: str) -> datetime | None:
        """A DT attribute, else the pair of DA and TM attributes."""
        if dt_keyword:
            parsed = parse_dt(self.text(dt_keyword))
            if parsed is not None:
                return parsed
        return combine_da_tm(self.text(date_keyword), self.text(time_keyword))

    def first_number(self, candidates: Iterable[tuple[str, float]], *, positive: bool = True) -> float | None:
        """The first present attribute of ``(keyword, factor)`` pairs, multiplied by its factor."""
        for keyword, factor in candidates:
            value = self.number(keyword, positive=positive)
            if value is not None:
                return value * factor
        return None
