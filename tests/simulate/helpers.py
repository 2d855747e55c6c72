"""Helpers for the simulator tests: a small pydicom reader of SR trees and the shared data set.

The reader is written here, independently of the project's RDSR parser, so that the tests check the
simulator's files rather than agreeing with another piece of Kerma.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset

from kerma.simulate import SimulationSummary, TruthRow


@dataclass
class Node:
    """One SR content item: concept (scheme, value), value type, value, unit and children."""

    concept: tuple[str, str]
    value_type: str
    relationship: str
    value: object = None
    unit: str | None = None
    children: list[Node] = field(default_factory=list)

    def find(self, scheme: str, value: str) -> list[Node]:
        """Direct children with this concept."""
        return [child for child in self.children if child.concept == (scheme, value)]

    def one(self, scheme: str, value: str) -> Node:
        """The single direct child with this concept."""
        found = self.find(scheme, value)
        assert len(found) == 1, f"{scheme} {value}: {len(found)} items"
        return found[0]

    def number(self, value: str, unit: str) -> Decimal:
        """The NUM child (DCM code ``value``) as an exact decimal, checking its unit."""
        node = self.one("DCM", value)
        assert node.unit == unit, f"DCM {value} in {node.unit}, expected {unit}"
        assert isinstance(node.value, Decimal)
        return node.value


def _node(item: Dataset) -> Node:
    name = item.ConceptNameCodeSequence[0]
    node = Node(
        (name.CodingSchemeDesignator, name.CodeValue), item.ValueType, item.get("RelationshipType", "")
    )
    if item.ValueType == "NUM":
        measured = item.MeasuredValueSequence[0]
        # the decimal string as written (DSfloat keeps it), not a float
        node.value = Decimal(str(measured.NumericValue))
        node.unit = measured.MeasurementUnitsCodeSequence[0].CodeValue
    elif item.ValueType == "CODE":
        code = item.ConceptCodeSequence[0]
        node.value = (code.CodingSchemeDesignator, code.CodeValue)
    elif item.ValueType == "UIDREF":
        node.value = str(item.UID)
    elif item.ValueType == "TEXT":
        node.value = str(item.TextValue)
    elif item.ValueType == "DATETIME":
        node.value = str(item.DateTime)
    node.children = [_node(child) for child in item.get("ContentSequence", [])]
    return node


def read_sr(path: Path) -> tuple[Dataset, Node]:
    """The dataset and its content tree."""
    ds = pydicom.dcmread(path)
    root = Node(("DCM", ds.ConceptNameCodeSequence[0].CodeValue), ds.ValueType, "")
    root.children = [_node(item) for item in ds.ContentSequence]
    return ds, root


@dataclass
class Simulated:
    """The shared simulation: where it is, its summary and its ground truth."""

    out: Path
    summary: SimulationSummary
    rows: list[TruthRow]

    def folder(self, row: TruthRow) -> Path:
        """Folder of one study."""
        return self.out / row.folder

    def reports(self, row: TruthRow) -> list[Path]:
        """RDSR files of one study."""
        return sorted(self.folder(row).glob("SR_*.dcm"))

    def images(self, row: TruthRow) -> list[Path]:
        """Image files of one study."""
        return sorted(p for p in self.folder(row).glob("*.dcm") if not p.name.startswith("SR_"))
