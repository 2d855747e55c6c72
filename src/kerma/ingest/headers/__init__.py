"""Dose data from image headers: CT, CR/DX, MG, IO, XA/RF, PET/NM and Secondary Capture dose screens.

``parse_header(ds)`` turns one header into a :class:`~kerma.domain.model.DoseReport` with
``source=DoseSource.HEADER``; ``is_header_candidate(sop_class_uid)`` tells whether a SOP class is read here.
One module per concern: ``sop`` (classes), ``fields`` (safe attribute access), ``technique``, ``ct``,
``projection``, ``nuclear`` (per family), ``keys`` (exposure identity) and ``parse`` (assembly).
"""

from kerma.ingest.headers.parse import SECONDARY_CAPTURE_MESSAGE, parse_header
from kerma.ingest.headers.sop import is_header_candidate

__all__ = ["SECONDARY_CAPTURE_MESSAGE", "is_header_candidate", "parse_header"]
