"""Sequence items read straight from their encoded bytes, without building pydicom Datasets.

pydicom keeps a defined-length sequence as raw bytes until it is first accessed, then builds a Dataset
per item, which costs tens of microseconds even for a three-element code item. An SR tree is made of
thousands of such small sequences (concept names, codes, measured values), so the tree reader decodes
them here instead: one pass over the bytes per sequence, each item a dict of tag to raw value, nested
sequences kept as byte ranges and decoded only when asked for. Encodings follow PS3.5 section 7 (explicit
or implicit VR, little or big endian, defined or undefined lengths) and, like pydicom, tolerate a writer
that switches to implicit VR inside a sequence. Anything malformed raises :class:`ValueError`, and the
caller falls back to pydicom.
"""

from __future__ import annotations

from struct import Struct

ITEM = 0xFFFEE000
ITEM_DELIMITATION = 0xFFFEE00D
SEQUENCE_DELIMITATION = 0xFFFEE0DD
UNDEFINED = 0xFFFFFFFF

# Explicit VRs with a 4-byte length field (PS3.5 Table 7.1-1); all others have 2 bytes.
_LONG_VRS = frozenset(
    {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}
)
_SHORT_VRS = frozenset(
    {
        b"AE",
        b"AS",
        b"AT",
        b"CS",
        b"DA",
        b"DS",
        b"DT",
        b"FL",
        b"FD",
        b"IS",
        b"LO",
        b"LT",
        b"PN",
        b"SH",
        b"SL",
        b"SS",
        b"ST",
        b"TM",
        b"UI",
        b"UL",
        b"US",
    }
)
# Sequences of the SR content item attributes: needed to recognise them in implicit VR data.
SEQUENCE_TAGS = frozenset(
    {
        0x0040A730,  # Content Sequence
        0x0040A043,  # Concept Name Code Sequence
        0x0040A168,  # Concept Code Sequence
        0x0040A300,  # Measured Value Sequence
        0x004008EA,  # Measurement Units Code Sequence
        0x0040A301,  # Numeric Value Qualifier Code Sequence
        0x00080121,  # Equivalent Code Sequence
        0x00081199,  # Referenced SOP Sequence
        0x0040A504,  # Content Template Sequence
    }
)

_HH_LE, _HH_BE = Struct("<HH"), Struct(">HH")
_L_LE, _L_BE = Struct("<L"), Struct(">L")
_H_LE, _H_BE = Struct("<H"), Struct(">H")


class RawSequence:
    """A sequence value held as a range of bytes; its items are decoded on first use and cached."""

    __slots__ = ("_items", "data", "end", "implicit", "little", "start")

    def __init__(self, data: bytes, start: int, end: int, little: bool, implicit: bool) -> None:
        self.data = data
        self.start = start
        self.end = end
        self.little = little
        self.implicit = implicit
        self._items: list[RawItem] | None = None

    def items(self) -> list[RawItem]:
        """The decoded items."""
        if self._items is None:
            self._items, _ = _read_items(self.data, self.start, self.end, self.little, self.implicit)
        return self._items


class RawItem:
    """One sequence item: its elements by tag, each raw bytes or a nested sequence."""

    __slots__ = ("elements", "little")

    def __init__(self, elements: dict[int, bytes | RawSequence], little: bool) -> None:
        self.elements = elements
        self.little = little


_DECODED_ATTRIBUTE = "_kerma_decoded_items"


def remember_items(owner: object, value: bytes, items: list[RawItem]) -> None:
    """Keep on ``owner`` (a pydicom Dataset) the items already decoded from ``value``, a sequence value
    it holds raw, so that reading its tree does not decode the same bytes a second time."""
    setattr(owner, _DECODED_ATTRIBUTE, (value, items))


def remembered_items(owner: object, value: bytes) -> list[RawItem] | None:
    """The items kept by :func:`remember_items` for this very ``value`` object, else None."""
    kept = getattr(owner, _DECODED_ATTRIBUTE, None)
    return kept[1] if kept is not None and kept[0] is value else None


def read_sequence(data: bytes, little: bool, implicit: bool) -> list[RawItem]:
    """The items of an encoded sequence value (the bytes after the sequence's length field)."""
    items, _ = _read_items(data, 0, len(data), little, implicit)
    return items


def read_items_until_delimiter(
    data: bytes, pos: int, little: bool, implicit: bool
) -> tuple[list[RawItem], int]:
    """The items of an undefined-length sequence whose value starts at ``pos``, and the offset just past
    its sequence delimitation item."""
    return _read_items(data, pos, None, little, implicit)


def _read_items(
    data: bytes, pos: int, end: int | None, little: bool, implicit: bool
) -> tuple[list[RawItem], int]:
    """Items from ``pos`` to ``end``, or to the sequence delimitation item when ``end`` is None."""
    hh = _HH_LE if little else _HH_BE
    u32 = _L_LE if little else _L_BE
    limit = len(data) if end is None else end
    if limit > len(data):
        raise ValueError("sequence runs past the end of its data")
    items: list[RawItem] = []
    while pos + 8 <= limit:
        group, element = hh.unpack_from(data, pos)
        tag = group << 16 | element
        (length,) = u32.unpack_from(data, pos + 4)
        pos += 8
        if tag == SEQUENCE_DELIMITATION:
            return items, pos
        if tag != ITEM:
            raise ValueError(f"expected an item tag, found {tag:08X}")
        item_end = None if length == UNDEFINED else pos + length
        item, pos = _read_item(data, pos, item_end, little, implicit)
        items.append(item)
    if end is None:
        raise ValueError("undefined-length sequence without its delimitation item")
    return items, pos


def _read_item(data: bytes, pos: int, end: int | None, little: bool, implicit: bool) -> tuple[RawItem, int]:
    """One item's elements from ``pos`` to ``end``, or to the item delimitation when ``end`` is None."""
    hh = _HH_LE if little else _HH_BE
    u32 = _L_LE if little else _L_BE
    u16 = _H_LE if little else _H_BE
    limit = len(data) if end is None else end
    if limit > len(data):
        raise ValueError("item runs past the end of its data")
    elements: dict[int, bytes | RawSequence] = {}
    while pos + 8 <= limit:
        group, element = hh.unpack_from(data, pos)
        tag = group << 16 | element
        if tag == ITEM_DELIMITATION:
            return RawItem(elements, little), pos + 8
        vr: bytes | None = None
        if not implicit:
            candidate = data[pos + 4 : pos + 6]
            if candidate in _LONG_VRS:
                vr = candidate
                (length,) = u32.unpack_from(data, pos + 8)
                pos += 12
            elif candidate in _SHORT_VRS:
                vr = candidate
                (length,) = u16.unpack_from(data, pos + 6)
                pos += 8
        if vr is None:
            # Implicit VR, or a writer that switched to implicit VR inside a sequence.
            (length,) = u32.unpack_from(data, pos + 4)
            pos += 8
        if length == UNDEFINED:
            # Only a sequence (or UN holding one, itself implicit VR) may have an undefined length.
            nested_implicit = implicit or vr == b"UN"
            start = pos
            nested, pos = _read_items(data, pos, None, little, nested_implicit)
            sequence = RawSequence(data, start, pos, little, nested_implicit)
            sequence._items = nested  # its end was only found by reading it: keep what was read
            value: bytes | RawSequence = sequence
        else:
            if pos + length > limit:
                raise ValueError(f"element {tag:08X} runs past the end of its item")
            if vr == b"SQ" or (vr is None and tag in SEQUENCE_TAGS):
                value = RawSequence(data, pos, pos + length, little, implicit)
            else:
                value = data[pos : pos + length]
            pos += length
        elements[tag] = value
    if end is None:
        raise ValueError("undefined-length item without its delimitation item")
    return RawItem(elements, little), pos
