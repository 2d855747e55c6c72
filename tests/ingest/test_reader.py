"""read_header keeps an undefined-length SR content tree raw, and the result parses as pydicom's would."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pydicom
import pytest
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.uid import DeflatedExplicitVRLittleEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from kerma.domain.model import RejectedInput
from kerma.ingest.dispatch import parse_dataset
from kerma.ingest.rdsr.rawitems import RawItem, read_sequence
from kerma.ingest.reader import CONTENT_SEQUENCE, read_header
from kerma.simulate import simulate
from tests.conftest import corpus_path

PRIVATE_CREATOR = 0x00990010
PRIVATE_VALUE = 0x00991001


def _undefined_lengths(ds: Dataset) -> None:
    for elem in ds:
        if elem.VR == "SQ":
            elem.is_undefined_length = True
            for item in elem.value:
                item.is_undefined_length_sequence_item = True
                _undefined_lengths(item)


@pytest.fixture(scope="module")
def rdsr(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    """A simulated CT RDSR, content tree with undefined lengths, and a private element after it."""
    out = tmp_path_factory.mktemp("sim")
    simulate(out, studies=3, seed=11)
    path = next(p for p in sorted(out.rglob("*.dcm")) if pydicom.dcmread(p).Modality == "SR")
    ds = pydicom.dcmread(path)
    _undefined_lengths(ds)
    ds.add_new(PRIVATE_CREATOR, "LO", "KERMA TEST")
    ds.add_new(PRIVATE_VALUE, "LO", "after the content tree")
    return ds


def _write(ds: Dataset, syntax: str, path: Path) -> Path:
    ds = ds.copy()
    ds.file_meta.TransferSyntaxUID = syntax
    ds.save_as(path, enforce_file_format=True)
    return path


@pytest.mark.parametrize(
    "syntax", [ImplicitVRLittleEndian, ExplicitVRLittleEndian, DeflatedExplicitVRLittleEndian]
)
def test_same_report_as_from_pydicom_and_nothing_after_the_tree_lost(
    rdsr: Dataset, syntax: str, tmp_path: Path
) -> None:
    path = _write(rdsr, syntax, tmp_path / "sr.dcm")
    ours = read_header(path)
    if syntax != DeflatedExplicitVRLittleEndian:
        # handed raw to the SR reader, not decoded into pydicom Datasets
        assert isinstance(ours._dict[CONTENT_SEQUENCE], RawDataElement)  # type: ignore[attr-defined]
    theirs = pydicom.dcmread(path)
    assert ours[PRIVATE_VALUE].value == theirs[PRIVATE_VALUE].value  # bytes (UN) when implicit VR
    assert ours[PRIVATE_VALUE].value in (b"after the content tree", "after the content tree")
    assert repr(parse_dataset(ours)) == repr(parse_dataset(theirs))
    # an open file is read the same way and left after the data set
    with path.open("rb") as fh:
        again = read_header(fh)
        assert fh.read() == b""
    assert repr(parse_dataset(again)) == repr(parse_dataset(ours))


def test_big_fluoroscopy_rdsr_of_the_corpus() -> None:
    path = corpus_path("RF-Pat-Orientation-Modifier-Missing.dcm")
    ours = parse_dataset(read_header(path))
    assert repr(ours) == repr(parse_dataset(pydicom.dcmread(path)))
    assert len(ours.events) == 316


def test_truncated_content_tree_is_rejected_with_the_reason(rdsr: Dataset, tmp_path: Path) -> None:
    data = _write(rdsr, ImplicitVRLittleEndian, tmp_path / "sr.dcm").read_bytes()
    cut = tmp_path / "cut.dcm"
    cut.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(RejectedInput, match="truncated or corrupt"):
        read_header(cut)
    with pytest.raises(RejectedInput):
        read_header(BytesIO(data[: len(data) // 2]))


@pytest.mark.parametrize("syntax", [ImplicitVRLittleEndian, ExplicitVRLittleEndian])
def test_the_tree_decoded_while_reading_is_not_decoded_again(
    rdsr: Dataset, syntax: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(rdsr, syntax, tmp_path / "sr.dcm")
    ours = read_header(path)
    content = ours._dict[CONTENT_SEQUENCE].value  # type: ignore[attr-defined]
    decoded: list[int] = []

    def counting(data: bytes, little: bool, implicit: bool) -> list[RawItem]:
        decoded.append(len(data))
        return read_sequence(data, little, implicit)

    monkeypatch.setattr("kerma.ingest.rdsr.tree.read_sequence", counting)
    report = parse_dataset(ours)
    assert len(content) not in decoded  # the reader's items were used
    assert repr(report) == repr(parse_dataset(pydicom.dcmread(path)))
