"""Read a DICOM object's header (never its pixel data) with clear errors for what is not DICOM."""

from __future__ import annotations

import hashlib
import io
import re
import struct
from pathlib import Path
from typing import BinaryIO

import pydicom
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.filereader import read_dataset, read_partial
from pydicom.tag import BaseTag
from pydicom.uid import DeflatedExplicitVRLittleEndian

from kerma.domain.model import RejectedInput
from kerma.ingest.rdsr.rawitems import UNDEFINED as UNDEFINED_LENGTH
from kerma.ingest.rdsr.rawitems import read_items_until_delimiter, remember_items

CONTENT_SEQUENCE = 0x0040A730
_PIXEL_DATA = frozenset({0x7FE00010, 0x7FE00009, 0x7FE00008})

# Digits and dots; leading zeros (invalid but seen in the field) are tolerated.
_UID = re.compile(r"^[0-9]+(\.[0-9]+)*$")


def sha256_of(path: Path) -> str:
    """Content hash of a file (streamed, so a large image costs little memory)."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def read_header(source: Path | BinaryIO) -> Dataset:
    """Read a dataset up to (not including) pixel data.

    Files without the 128-byte preamble are accepted when they hold a plausible dataset; anything else
    raises :class:`RejectedInput` with the reason.
    """
    try:
        ds = _read(source, force=False)
    except InvalidDicomError:
        if not isinstance(source, Path):
            source.seek(0)
        try:
            ds = _read(source, force=True)
        except Exception as exc:
            raise RejectedInput(f"not a DICOM file ({exc})") from exc
        if "SOPClassUID" not in ds and "SOPInstanceUID" not in ds:
            raise RejectedInput("not a DICOM file (no preamble and no SOP Class/Instance UID)") from None
    except (EOFError, OSError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise RejectedInput(f"unreadable DICOM ({type(exc).__name__}: {exc}); truncated or corrupt?") from exc
    if not isinstance(ds, Dataset):  # pragma: no cover - DICOMDIR and friends
        raise RejectedInput("not a single DICOM object")
    return ds


def _read(source: Path | BinaryIO, force: bool) -> Dataset:
    if isinstance(source, Path):
        with source.open("rb") as fh:
            return _read_file(fh, force)
    return _read_file(source, force)


def _stop(tag: BaseTag, _vr: str | None, length: int) -> bool:
    return tag in _PIXEL_DATA or (tag == CONTENT_SEQUENCE and length == UNDEFINED_LENGTH)


def _read_file(fh: BinaryIO, force: bool) -> Dataset:
    """pydicom's read, except that an undefined-length SR content tree is kept as raw bytes.

    pydicom must decode every item of an undefined-length sequence to find where it ends, building a
    Dataset per item: a fluoroscopy RDSR with hundreds of events takes seconds. The SR tree reader
    decodes items from bytes itself (kerma.ingest.rdsr.rawitems), so the tree is handed to it raw.
    """
    start = fh.tell()
    ds = read_partial(fh, _stop, force=force)
    meta = getattr(ds, "file_meta", None)
    if meta is not None and meta.get("TransferSyntaxUID") == DeflatedExplicitVRLittleEndian:
        # pydicom inflated the data set into its own buffer: the rest is not at ``fh``; read it whole
        fh.seek(start)
        return pydicom.dcmread(fh, stop_before_pixels=True, force=force)
    at = fh.tell()
    implicit, little = (bool(x) for x in ds.original_encoding)
    head = fh.read(4)
    fh.seek(at)
    if len(head) < 4 or struct.unpack("<HH" if little else ">HH", head) != (0x0040, 0xA730):
        return ds  # stopped at pixel data (left unread) or at the end
    after = _raw_content(ds, fh, implicit, little)
    if after is None:
        fh.seek(at)
        rest = read_dataset(fh, implicit, little, stop_when=_at_pixels)
    else:
        rest = read_dataset(io.BytesIO(after), implicit, little, stop_when=_at_pixels)
    for tag, elem in rest._dict.items():
        ds[tag] = elem
    return ds


def _at_pixels(tag: BaseTag, _vr: str | None, _length: int) -> bool:
    return tag in _PIXEL_DATA


def _raw_content(ds: Dataset, fh: BinaryIO, implicit: bool, little: bool) -> bytes | None:
    """Put the content sequence at ``fh`` into ``ds`` as a raw element and return the bytes after it;
    None (``ds`` unchanged) when the raw reader cannot read it."""
    data = fh.read()
    if len(data) < 12:
        return None
    header = 8 if implicit or data[4:6] not in (b"SQ", b"UN") else 12
    try:
        items, end = read_items_until_delimiter(data, header, little, implicit)
    except (ValueError, struct.error):
        return None  # let pydicom read (and judge) what the raw reader cannot
    value = data[header : end - 8]  # without the sequence delimitation item
    ds[CONTENT_SEQUENCE] = RawDataElement(
        BaseTag(CONTENT_SEQUENCE), None if implicit else "SQ", len(value), value, header, implicit, little
    )
    # The items were decoded to find where the tree ends: the tree reader takes them as they are.
    remember_items(ds, value, items)
    return data[end:]


def sop_identity(ds: Dataset) -> tuple[str, str]:
    """SOP Class and Instance UID, from the dataset or its file meta; missing ones reject the object."""
    meta = getattr(ds, "file_meta", None)
    sop_class = str(ds.get("SOPClassUID") or (meta.get("MediaStorageSOPClassUID") if meta else "") or "")
    sop_inst = str(ds.get("SOPInstanceUID") or (meta.get("MediaStorageSOPInstanceUID") if meta else "") or "")
    for value, name in ((sop_class, "SOPClassUID (0008,0016)"), (sop_inst, "SOPInstanceUID (0008,0018)")):
        if not value.strip():
            raise RejectedInput("missing", name)
        if not _UID.match(value.strip()):
            raise RejectedInput(f"{value.strip()!r} is not a valid UID (truncated or corrupt file?)", name)
    return sop_class.strip(), sop_inst.strip()
