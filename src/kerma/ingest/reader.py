"""Read a DICOM object's header (never its pixel data) with clear errors for what is not DICOM."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import BinaryIO

import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

from kerma.domain.model import RejectedInput

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
        ds = pydicom.dcmread(source, stop_before_pixels=True)
    except InvalidDicomError:
        if not isinstance(source, Path):
            source.seek(0)
        try:
            ds = pydicom.dcmread(source, stop_before_pixels=True, force=True)
        except Exception as exc:
            raise RejectedInput(f"not a DICOM file ({exc})") from exc
        if "SOPClassUID" not in ds and "SOPInstanceUID" not in ds:
            raise RejectedInput("not a DICOM file (no preamble and no SOP Class/Instance UID)") from None
    except (EOFError, OSError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise RejectedInput(f"unreadable DICOM ({type(exc).__name__}: {exc}); truncated or corrupt?") from exc
    if not isinstance(ds, Dataset):  # pragma: no cover - DICOMDIR and friends
        raise RejectedInput("not a single DICOM object")
    return ds


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
