"""A fast, tolerant reader of an SR content tree held in a pydicom Dataset.

Each content item becomes a :class:`Node` the first time its parent's children are asked for; its
concept and value type are read once. Attributes are read by tag from their raw bytes, and the many
small sequences of an SR tree are decoded by :mod:`.rawitems` rather than turned into pydicom Datasets
(pydicom does it when the raw reader meets something it does not expect). Sub-trees nobody asks for
(private containers, image references) are never decoded. Values are read only on demand.

Tolerated deviations, each recorded once as a warning on the :class:`Reader`: value types that are not
DICOM value types (``PERSON NAME``, a relationship type such as ``HAS CONCEPT MOD`` in the value type),
NUM items without a Measured Value Sequence, units that are not UCUM (converted by
:mod:`kerma.domain.units`, which knows the vendor spellings), UIDs sent as TEXT.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from datetime import datetime
from struct import unpack_from
from typing import Any, NamedTuple

from pydicom.charset import convert_encodings, decode_bytes, default_encoding
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset

from kerma.domain.model import RejectedInput
from kerma.domain.units import Quantity, UnitError, factor, normalise_unit
from kerma.ingest.common import combine_da_tm, parse_dt
from kerma.ingest.rdsr.codes import Codes, Concept
from kerma.ingest.rdsr.rawitems import RawItem, RawSequence, read_sequence, remembered_items

# Tags of the SR content item attributes (PS3.3 C.17.3), read by number to skip keyword look-ups.
CONTENT_SEQUENCE = 0x0040A730
CONCEPT_NAME_CODE_SEQUENCE = 0x0040A043
VALUE_TYPE = 0x0040A040
RELATIONSHIP_TYPE = 0x0040A010
CODE_VALUE = 0x00080100
CODING_SCHEME_DESIGNATOR = 0x00080102
CODE_MEANING = 0x00080104
LONG_CODE_VALUE = 0x00080119
URN_CODE_VALUE = 0x00080120
CONCEPT_CODE_SEQUENCE = 0x0040A168
MEASURED_VALUE_SEQUENCE = 0x0040A300
NUMERIC_VALUE = 0x0040A30A
FLOATING_POINT_VALUE = 0x0040A161
MEASUREMENT_UNITS_CODE_SEQUENCE = 0x004008EA
TEXT_VALUE = 0x0040A160
UID_VALUE = 0x0040A124
DATETIME_VALUE = 0x0040A120
DATE_VALUE = 0x0040A121
TIME_VALUE = 0x0040A122
PERSON_NAME_VALUE = 0x0040A123
SPECIFIC_CHARACTER_SET = 0x00080005

STANDARD_VALUE_TYPES = frozenset(
    {
        "CONTAINER",
        "NUM",
        "CODE",
        "TEXT",
        "UIDREF",
        "DATETIME",
        "DATE",
        "TIME",
        "PNAME",
        "IMAGE",
        "COMPOSITE",
        "WAVEFORM",
        "SCOORD",
        "SCOORD3D",
        "TCOORD",
        "TABLE",
    }
)
"""Value types of PS3.3 Table C.17.3-7."""

_VALUE_TYPE_ALIASES = {"PERSON NAME": "PNAME", "UID": "UIDREF", "DATE TIME": "DATETIME"}
_SCHEME_ALIASES = {"SNM3": "SRT", "99SDM": "SRT"}
# Quantities whose value is meaningless without a unit: a missing unit rejects the object.
_DOSE_QUANTITIES = frozenset(
    {Quantity.DAP, Quantity.AIR_KERMA, Quantity.DLP, Quantity.ACTIVITY, Quantity.EFFECTIVE_DOSE}
)

Item = Dataset | RawItem
"""A sequence item: a pydicom Dataset, or a :class:`~.rawitems.RawItem` decoded from bytes."""


class Num(NamedTuple):
    """A NUM item's value and its unit as declared (code value and meaning of the units code)."""

    value: float
    unit: str | None
    unit_meaning: str | None = None


class Code(NamedTuple):
    """A CODE item's value."""

    scheme: str
    value: str
    meaning: str | None

    @property
    def concept(self) -> Concept:
        """The ``(scheme, value)`` pair to match against :mod:`~kerma.ingest.rdsr.codes`."""
        return (self.scheme, self.value)


class Reader:
    """Per-object state shared by all nodes of one tree: character set and collected warnings."""

    __slots__ = ("_seen", "encodings", "warnings")

    def __init__(self, encodings: list[str] | None = None) -> None:
        self.encodings = encodings or [default_encoding]
        self.warnings: list[str] = []
        self._seen: set[str] = set()

    @classmethod
    def for_dataset(cls, ds: Dataset) -> Reader:
        """A reader using the dataset's Specific Character Set for text."""
        value = ds.get_item(SPECIFIC_CHARACTER_SET)
        charset = ds.SpecificCharacterSet if value is not None else None
        try:
            return cls(convert_encodings(charset))
        except (LookupError, ValueError):
            return cls()

    def warn(self, message: str) -> None:
        """Record a warning once, however many items trigger it."""
        if message not in self._seen:
            self._seen.add(message)
            self.warnings.append(message)

    def decode(self, value: bytes) -> str:
        """Text bytes in the object's character set."""
        if value.isascii():
            return value.decode("ascii")
        try:
            return decode_bytes(value, self.encodings, set())
        except (LookupError, ValueError):
            return value.decode("latin-1")


# -- attribute access on either kind of item -----------------------------------------------------------
def value_of(item: Item, tag: int) -> Any:
    """An attribute's value as stored: raw bytes, a converted value, a nested sequence; None if absent."""
    if isinstance(item, RawItem):
        return item.elements.get(tag)
    elem = item.get_item(tag)
    return None if elem is None else elem.value


def has(item: Item, tag: int) -> bool:
    """Whether the item has the attribute."""
    if isinstance(item, RawItem):
        return tag in item.elements
    return item.get_item(tag) is not None


def items_of(item: Item, tag: int) -> Sequence[Item]:
    """A sequence attribute's items; empty when absent."""
    if isinstance(item, RawItem):
        value = item.elements.get(tag)
        if isinstance(value, RawSequence):
            return value.items()
        if isinstance(value, bytes) and value:
            # An implicit-VR element this reader did not know to be a sequence.
            try:
                return read_sequence(value, item.little, True)
            except ValueError:
                return ()
        return ()
    elem = item.get_item(tag)
    if elem is None:
        return ()
    if isinstance(elem, RawDataElement) and isinstance(elem.value, bytes):
        decoded = remembered_items(item, elem.value)
        if decoded is not None:
            return decoded
        try:
            return read_sequence(elem.value, elem.is_little_endian, elem.is_implicit_VR or elem.VR == "UN")
        except ValueError:
            pass  # let pydicom read what the raw reader could not
    value = item[tag].value
    return value if value else ()


def _first_value(value: Any) -> Any:
    if isinstance(value, (bytes, str)):
        return value
    try:
        return value[0] if len(value) else None
    except TypeError:
        return value


def raw_text(item: Item, tag: int) -> str | None:
    """A plain-ASCII attribute (CS, SH, UI, DS, DT...) read from its raw bytes; first value if several."""
    value = value_of(item, tag)
    if value is None or isinstance(value, RawSequence):
        return None
    if isinstance(value, bytes):
        text = value.decode("latin-1")
    else:
        first = _first_value(value)
        text = "" if first is None else str(first)
    if "\\" in text:
        text = text.split("\\", 1)[0]
    text = text.strip(" \x00")
    return text or None


def decoded_text(item: Item, tag: int, reader: Reader) -> str | None:
    """A text attribute (LO, UT, PN...) decoded in the object's character set."""
    value = value_of(item, tag)
    if value is None or isinstance(value, RawSequence):
        return None
    text = reader.decode(value) if isinstance(value, bytes) else str(value)
    text = text.replace("\x00", "").strip()
    return text or None


def _double(item: Item, tag: int) -> float | None:
    """The first value of an FD attribute."""
    value = value_of(item, tag)
    if isinstance(value, bytes):
        if isinstance(item, RawItem):
            little = item.little
        else:
            raw = item.get_item(tag)
            little = raw.is_little_endian if isinstance(raw, RawDataElement) else True
        if len(value) < 8:
            return None
        (number,) = unpack_from("<d" if little else ">d", value)
    else:
        first = _first_value(value)
        if first is None:
            return None
        number = float(first)
    return number if math.isfinite(number) else None


def to_float(text: str | None) -> float | None:
    """A decimal string as a finite float, or None."""
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def code_concept(item: Item) -> Concept | None:
    """A code sequence item's ``(scheme, value)``, scheme normalised and legacy spellings mapped."""
    value = raw_text(item, CODE_VALUE) or raw_text(item, LONG_CODE_VALUE) or raw_text(item, URN_CODE_VALUE)
    if value is None:
        return None
    scheme = (raw_text(item, CODING_SCHEME_DESIGNATOR) or "").upper()
    return (_SCHEME_ALIASES.get(scheme, scheme), value)


def read_code(item: Item, reader: Reader) -> Code | None:
    """A code sequence item as a :class:`Code`."""
    concept = code_concept(item)
    if concept is None:
        return None
    return Code(concept[0], concept[1], decoded_text(item, CODE_MEANING, reader))


# Concept of a concept name code sequence, by its encoded bytes and encoding (see Node._read_concept).
_CONCEPTS: dict[tuple[bytes, bool, bool], Concept | None] = {}
_CONCEPTS_KEPT = 4096


class Node:
    """One SR content item: its concept and value type, its children on demand, values on demand."""

    __slots__ = ("_children", "_name", "concept", "item", "parent", "reader", "value_type")

    def __init__(self, item: Item, reader: Reader, parent: Node | None = None) -> None:
        self.item = item
        self.reader = reader
        self.parent = parent
        self._children: list[Node] | None = None
        self._name: Item | None = None
        self.concept: Concept | None = self._read_concept()
        self.value_type = self._read_value_type()

    def _read_concept(self) -> Concept | None:
        names = value_of(self.item, CONCEPT_NAME_CODE_SEQUENCE)
        if not isinstance(names, RawSequence):
            return self._decode_concept()
        # A report names the same few dozen concepts thousands of times: decode each encoding once.
        key = (names.data[names.start : names.end], names.little, names.implicit)
        try:
            return _CONCEPTS[key]
        except KeyError:
            pass
        concept = self._decode_concept()
        if len(_CONCEPTS) >= _CONCEPTS_KEPT:
            _CONCEPTS.clear()
        _CONCEPTS[key] = concept
        return concept

    def _decode_concept(self) -> Concept | None:
        name = self._name_item()
        return code_concept(name) if name is not None else None

    def _name_item(self) -> Item | None:
        """The concept name code item, decoded on first use."""
        if self._name is None:
            names = items_of(self.item, CONCEPT_NAME_CODE_SEQUENCE)
            self._name = names[0] if names else None
        return self._name

    def _read_value_type(self) -> str:
        vt = (raw_text(self.item, VALUE_TYPE) or "").upper()
        if vt in STANDARD_VALUE_TYPES:
            return vt
        inferred = _VALUE_TYPE_ALIASES.get(vt) or self._infer_value_type()
        self.reader.warn(
            f"content item {self.label()} has non-standard value type {vt!r}; read as {inferred}"
        )
        return inferred

    def _infer_value_type(self) -> str:
        # The value attribute present tells what the item is, whatever its value type says.
        for tag, vt in (
            (MEASURED_VALUE_SEQUENCE, "NUM"),
            (CONCEPT_CODE_SEQUENCE, "CODE"),
            (UID_VALUE, "UIDREF"),
            (TEXT_VALUE, "TEXT"),
            (DATETIME_VALUE, "DATETIME"),
            (PERSON_NAME_VALUE, "PNAME"),
            (CONTENT_SEQUENCE, "CONTAINER"),
        ):
            if has(self.item, tag):
                return vt
        return "UNKNOWN"

    # -- structure ---------------------------------------------------------------------------------
    def children(self) -> list[Node]:
        """Direct children (Content Sequence items), read once and cached."""
        if self._children is None:
            reader = self.reader
            self._children = [Node(child, reader, self) for child in items_of(self.item, CONTENT_SEQUENCE)]
        return self._children

    def child(self, codes: Codes) -> Node | None:
        """The first direct child whose concept is one of ``codes``."""
        for node in self.children():
            if node.concept in codes:
                return node
        return None

    def walk(self, skip_private: bool = True) -> Iterator[Node]:
        """All descendants, depth first; private (``99...``) sub-trees are skipped unless asked for."""
        for node in self.children():
            yield node
            concept = node.concept
            if skip_private and concept is not None and concept[0].startswith("99"):
                continue
            if has(node.item, CONTENT_SEQUENCE):
                yield from node.walk(skip_private)

    def index(self, skip_private: bool = True) -> dict[Concept, list[Node]]:
        """Descendants grouped by concept (one walk), for templates whose items sit at varying depths."""
        found: dict[Concept, list[Node]] = {}
        for node in self.walk(skip_private):
            if node.concept is not None:
                found.setdefault(node.concept, []).append(node)
        return found

    # -- identity ----------------------------------------------------------------------------------
    @property
    def meaning(self) -> str | None:
        """The concept name's code meaning."""
        name = self._name_item()
        return decoded_text(name, CODE_MEANING, self.reader) if name is not None else None

    def label(self) -> str:
        """A readable name for messages: meaning and code."""
        if self.concept is None:
            return "(no concept name)"
        return f"{self.meaning or '?'} ({self.concept[0]} {self.concept[1]})"

    # -- values ------------------------------------------------------------------------------------
    def num(self) -> Num | None:
        """Value and unit of a NUM item; None when it has no (finite) measured value."""
        items = items_of(self.item, MEASURED_VALUE_SEQUENCE)
        if not items:
            return None
        mv = items[0]
        value = to_float(raw_text(mv, NUMERIC_VALUE))
        if value is None:
            value = _double(mv, FLOATING_POINT_VALUE)
        if value is None:
            return None
        units = items_of(mv, MEASUREMENT_UNITS_CODE_SEQUENCE)
        if not units:
            return Num(value, None)
        return Num(value, raw_text(units[0], CODE_VALUE), decoded_text(units[0], CODE_MEANING, self.reader))

    def quantity(self, quantity: Quantity) -> float | None:
        """A NUM item's value in the canonical unit of ``quantity``, converted by its declared unit.

        A unit unknown for the quantity rejects the object (the number cannot be trusted); a missing
        unit rejects dose quantities and drops other values with a warning.
        """
        num = self.num()
        if num is None:
            return None
        if num.unit is None:
            if quantity is Quantity.COUNT:
                return num.value
            if quantity in _DOSE_QUANTITIES:
                raise RejectedInput(f"value {num.value:g} has no unit", self.label())
            self.reader.warn(f"{self.label()} has no unit; value ignored")
            return None
        try:
            return num.value * factor(num.unit, quantity)
        except UnitError:
            # Some vendors put the UCUM unit in the meaning and a private token in the value.
            if num.unit_meaning and normalise_unit(num.unit_meaning) != normalise_unit(num.unit):
                try:
                    return num.value * factor(num.unit_meaning, quantity)
                except UnitError:
                    pass
            raise RejectedInput(
                f"unit {num.unit!r} is not a unit of {quantity.name.lower().replace('_', ' ')}",
                self.label(),
            ) from None

    def code(self) -> Code | None:
        """A CODE item's value."""
        items = items_of(self.item, CONCEPT_CODE_SEQUENCE)
        return read_code(items[0], self.reader) if items else None

    def code_concept(self) -> Concept | None:
        """A CODE item's value as a ``(scheme, value)`` pair, without decoding its meaning."""
        items = items_of(self.item, CONCEPT_CODE_SEQUENCE)
        return code_concept(items[0]) if items else None

    def text(self) -> str | None:
        """A TEXT item's value; also the value of a UIDREF, DATETIME or CODE sent where text is expected."""
        value = decoded_text(self.item, TEXT_VALUE, self.reader)
        if value is not None:
            return value
        if self.value_type == "UIDREF":
            return raw_text(self.item, UID_VALUE)
        if self.value_type == "CODE":
            code = self.code()
            return code.meaning if code else None
        if self.value_type == "DATETIME":
            return raw_text(self.item, DATETIME_VALUE)
        return None

    def uid(self) -> str | None:
        """A UIDREF item's value; TEXT is accepted where a UID is expected (some vendors send that)."""
        value = raw_text(self.item, UID_VALUE)
        if value is None:
            value = decoded_text(self.item, TEXT_VALUE, self.reader)
        return value

    def datetime(self) -> datetime | None:
        """A DATETIME (or DATE + TIME) item's value, time zone offset dropped."""
        raw = raw_text(self.item, DATETIME_VALUE)
        if raw is not None:
            value = parse_dt(raw)
            if value is None:
                self.reader.warn(f"{self.label()} has an unreadable date and time {raw!r}")
            return value
        return combine_da_tm(raw_text(self.item, DATE_VALUE), raw_text(self.item, TIME_VALUE))

    def person_name(self) -> str | None:
        """A PNAME item's value."""
        return decoded_text(self.item, PERSON_NAME_VALUE, self.reader)

    def code_meaning_or_text(self) -> str | None:
        """A CODE item's meaning, or the text of a TEXT item (items some vendors code and others write)."""
        if self.value_type == "CODE":
            code = self.code()
            return code.meaning if code else None
        return self.text()


def first(index: dict[Concept, list[Node]], codes: Codes) -> Node | None:
    """The first node of an :meth:`Node.index` for any of ``codes``."""
    for concept in codes:
        nodes = index.get(concept)
        if nodes:
            return nodes[0]
    return None


def every(index: dict[Concept, list[Node]], codes: Codes) -> list[Node]:
    """All nodes of an :meth:`Node.index` for any of ``codes`` (a file uses one spelling per concept)."""
    found: list[Node] = []
    for concept in codes:
        found.extend(index.get(concept, ()))
    return found
