"""Choose the parser for a dataset by its SOP class; everything else is not dose-relevant."""

from __future__ import annotations

from pydicom.dataset import Dataset

from kerma.domain.model import DoseReport, NotDoseRelevant
from kerma.ingest.reader import sop_identity

SR_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.88.67": "X-Ray Radiation Dose SR",
    "1.2.840.10008.5.1.4.1.1.88.76": "Enhanced X-Ray Radiation Dose SR",
    "1.2.840.10008.5.1.4.1.1.88.68": "Radiopharmaceutical Radiation Dose SR",
    "1.2.840.10008.5.1.4.1.1.88.22": "Enhanced SR",
    "1.2.840.10008.5.1.4.1.1.88.33": "Comprehensive SR",
    "1.2.840.10008.5.1.4.1.1.88.34": "Comprehensive 3D SR",
    "1.2.840.10008.5.1.4.1.1.88.11": "Basic Text SR",
}


def parse_dataset(ds: Dataset) -> DoseReport:
    """Parse any dose-relevant object into a DoseReport.

    Raises NotDoseRelevant for readable objects without dose data and RejectedInput for broken ones.
    """
    from kerma.ingest.headers import is_header_candidate, parse_header
    from kerma.ingest.rdsr import parse_rdsr

    sop_class, _ = sop_identity(ds)
    if sop_class in SR_CLASSES:
        return parse_rdsr(ds)
    if is_header_candidate(sop_class):
        return parse_header(ds)
    raise NotDoseRelevant(f"SOP class {sop_class} carries no dose information Kerma reads")
