"""A minimal DICOM Part 10 writer (Explicit VR Little Endian, defined lengths).

The simulator writes tens of thousands of objects, each with hundreds of nested SR content items; building
them as pydicom datasets and writing with ``dcmwrite`` costs tens of milliseconds a file. Encoding the few
value representations we need straight to bytes is ~50x faster and keeps the output byte-for-byte
deterministic. Everything written here is read back with pydicom and dcmtk in the tests.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from functools import cache

from pydicom.datadict import dictionary_VR, tag_for_keyword

# VRs whose length field is 4 bytes (after 2 reserved bytes) in explicit VR encoding.
_LONG_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"})
_ITEM = struct.pack("<HH", 0xFFFE, 0xE000)

EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1"

# Python codecs for the Specific Character Set values the simulator uses (None: default repertoire).
CODECS: dict[str | None, str] = {None: "ascii", "ISO_IR 100": "latin_1", "ISO_IR 192": "utf-8"}


def element(tag: int, vr: str, value: bytes) -> bytes:
    """One data element; ``value`` must already have even length."""
    group, elem = tag >> 16, tag & 0xFFFF
    if vr in _LONG_VRS:
        return struct.pack("<HH2sHI", group, elem, vr.encode(), 0, len(value)) + value
    return struct.pack("<HH2sH", group, elem, vr.encode(), len(value)) + value


def _pad(raw: bytes, pad: bytes) -> bytes:
    return raw + pad if len(raw) % 2 else raw


def string(tag: int, vr: str, value: str, codec: str = "ascii") -> bytes:
    """A string element (CS, SH, LO, PN, DA, TM, DT, DS, IS, AS, UT, ...) padded with a space."""
    return element(tag, vr, _pad(value.encode(codec), b" "))


def uid(tag: int, value: str) -> bytes:
    """A UI element padded with NUL."""
    return element(tag, "UI", _pad(value.encode("ascii"), b"\0"))


def us(tag: int, value: int) -> bytes:
    """An unsigned short."""
    return element(tag, "US", struct.pack("<H", value))


def ss(tag: int, value: int) -> bytes:
    """A signed short."""
    return element(tag, "SS", struct.pack("<h", value))


def ul(tag: int, value: int) -> bytes:
    """An unsigned long."""
    return element(tag, "UL", struct.pack("<I", value))


def fd(tag: int, value: float) -> bytes:
    """A double."""
    return element(tag, "FD", struct.pack("<d", value))


def ob(tag: int, value: bytes) -> bytes:
    """Other Byte, padded with NUL."""
    return element(tag, "OB", _pad(value, b"\0"))


def ow(tag: int, value: bytes) -> bytes:
    """Other Word (pixel data); ``value`` has even length by construction."""
    return element(tag, "OW", value)


def item(body: bytes) -> bytes:
    """A sequence item with defined length around an encoded dataset."""
    return _ITEM + struct.pack("<I", len(body)) + body


def sequence(tag: int, bodies: Iterable[bytes]) -> bytes:
    """A sequence (defined length) of already encoded datasets."""
    return element(tag, "SQ", b"".join(item(body) for body in bodies))


@cache
def tag_and_vr(keyword: str) -> tuple[int, str]:
    """Tag and VR of a data element keyword, from pydicom's data dictionary."""
    tag = tag_for_keyword(keyword)
    if tag is None:
        raise KeyError(f"unknown DICOM keyword {keyword!r}")
    vr = dictionary_VR(tag)
    return tag, "OW" if vr == "OB or OW" else vr


def keyed(
    keyword: str, value: str | int | float | bytes | list[bytes], codec: str = "ascii"
) -> tuple[int, bytes]:
    """(tag, encoded element) for a keyword, encoded by the VR the dictionary gives it.

    Strings for string VRs, int for US/SS/UL, float for FD, bytes for OB/OW, a list of encoded item
    datasets for SQ.
    """
    tag, vr = tag_and_vr(keyword)
    if vr == "SQ":
        assert isinstance(value, list)
        return tag, sequence(tag, value)
    if vr == "UI":
        assert isinstance(value, str)
        return tag, uid(tag, value)
    if vr in ("US", "SS", "UL"):
        assert isinstance(value, int)
        return tag, element(tag, vr, struct.pack({"US": "<H", "SS": "<h", "UL": "<I"}[vr], value))
    if vr == "FD":
        assert isinstance(value, (int, float))
        return tag, fd(tag, float(value))
    if vr in ("OB", "OW"):
        assert isinstance(value, bytes)
        return tag, ob(tag, value) if vr == "OB" else ow(tag, value)
    assert isinstance(value, str), keyword
    return tag, string(tag, vr, value, codec)


def dataset(elements: Iterable[tuple[int, bytes]]) -> bytes:
    """Join (tag, encoded element) pairs in ascending tag order, as the standard requires."""
    return b"".join(encoded for _, encoded in sorted(elements, key=lambda pair: pair[0]))


def part10(
    sop_class_uid: str,
    sop_instance_uid: str,
    body: bytes,
    implementation_uid: str,
    implementation_version: str,
    source_ae: str | None = None,
) -> bytes:
    """A complete Part 10 file: preamble, ``DICM``, file meta group, then the encoded dataset."""
    meta = [
        keyed("FileMetaInformationVersion", b"\x00\x01")[1],
        keyed("MediaStorageSOPClassUID", sop_class_uid)[1],
        keyed("MediaStorageSOPInstanceUID", sop_instance_uid)[1],
        keyed("TransferSyntaxUID", EXPLICIT_VR_LITTLE_ENDIAN)[1],
        keyed("ImplementationClassUID", implementation_uid)[1],
        keyed("ImplementationVersionName", implementation_version)[1],
    ]
    if source_ae:
        meta.append(keyed("SourceApplicationEntityTitle", source_ae)[1])
    group = b"".join(meta)
    length = keyed("FileMetaInformationGroupLength", len(group))[1]
    return b"\0" * 128 + b"DICM" + length + group + body
