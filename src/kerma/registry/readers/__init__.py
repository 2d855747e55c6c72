"""Open a survey file by what its bytes are, not by its name (facilities rename files freely)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from kerma.registry.readers.base import (
    CellValue,
    Merge,
    NoCachedValue,
    Sheet,
    UnreadableFile,
    Workbook,
    column_index,
    column_letter,
)

_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_OOXML = "EncryptedPackage".encode("utf-16-le")
_PROTECTED = (
    "password-protected (encrypted) workbook: it cannot be read without the password; "
    "ask the facility for a copy saved without a password"
)
SUPPORTED = (".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".txt", ".tsv")


def open_workbook(path: Path) -> Workbook:
    """Open ``path`` as a spreadsheet; raises :class:`UnreadableFile` with a reason a person understands."""
    with path.open("rb") as fh:
        head = fh.read(64 * 1024)
    if not head:
        raise UnreadableFile("empty file")
    if head.startswith(b"PK\x03\x04"):
        try:
            z = zipfile.ZipFile(path)
        except zipfile.BadZipFile:
            raise UnreadableFile("damaged file: the zip container cannot be opened") from None
        names = set(z.namelist())
        if "xl/workbook.xml" in names:
            from kerma.registry.readers.xlsx import open_xlsx

            return open_xlsx(str(path), z)
        if "content.xml" in names:
            from kerma.registry.readers.ods import open_ods

            return open_ods(str(path), z)
        if "xl/workbook.bin" in names:
            raise UnreadableFile("binary Excel workbook (.xlsb) is not supported: save it as .xlsx")
        raise UnreadableFile("zip file that is not a spreadsheet (.xlsx or .ods expected)")
    if head.startswith(_CFB_MAGIC):
        data = path.read_bytes()
        if _ENCRYPTED_OOXML in data:
            raise UnreadableFile(_PROTECTED)
        from kerma.registry.readers.xls import open_xls

        return open_xls(str(path), data)
    if b"\x00" in head[:4096] and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableFile("binary file that is not a spreadsheet this reader knows")
    low = head[:512].lstrip().lower()
    if low.startswith((b"<!doctype html", b"<html", b"<?xml")):
        raise UnreadableFile(
            "HTML or XML file named like a spreadsheet: open it and save it as .xlsx or .csv"
        )
    from kerma.registry.readers.csvfile import open_csv

    return open_csv(path, head)


__all__ = [
    "SUPPORTED",
    "CellValue",
    "Merge",
    "NoCachedValue",
    "Sheet",
    "UnreadableFile",
    "Workbook",
    "column_index",
    "column_letter",
    "open_workbook",
]
