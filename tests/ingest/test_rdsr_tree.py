"""The SR tree reader: NUM values with their units (hypothesis), value types, character sets, and the raw
item reader against pydicom's own decoding."""

from __future__ import annotations

from io import BytesIO

import pydicom
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from kerma.domain.model import RejectedInput
from kerma.domain.units import Quantity
from kerma.ingest.rdsr.rawitems import read_sequence
from kerma.ingest.rdsr.tree import Node, Reader, code_concept, decoded_text, items_of
from tests.ingest.test_rdsr_synthetic import code, container, content, num, text

# Units as vendors write them, with the factor to Kerma's canonical unit worked out by hand.
UNITS: list[tuple[str, Quantity, float]] = [
    ("Gy.m2", Quantity.DAP, 1e4),
    ("Gym2", Quantity.DAP, 1e4),
    ("dGy.cm2", Quantity.DAP, 0.1),
    ("cGy.cm2", Quantity.DAP, 0.01),
    ("uGy.m2", Quantity.DAP, 0.01),
    ("mGy.cm2", Quantity.DAP, 0.001),
    ("Gy.cm^2", Quantity.DAP, 1.0),
    ("Gy", Quantity.AIR_KERMA, 1000.0),
    ("mGy", Quantity.AIR_KERMA, 1.0),
    ("uGy", Quantity.AIR_KERMA, 0.001),
    ("mGy.cm", Quantity.DLP, 1.0),
    ("mGycm", Quantity.DLP, 1.0),
    ("Gy.cm", Quantity.DLP, 1000.0),
    ("s", Quantity.TIME, 1.0),
    ("ms", Quantity.TIME, 0.001),
    ("min", Quantity.TIME, 60.0),
    ("uA.s", Quantity.CHARGE, 0.001),
    ("uAs", Quantity.CHARGE, 0.001),
    ("mA.s", Quantity.CHARGE, 1.0),
    ("mm", Quantity.LENGTH, 1.0),
    ("cm", Quantity.LENGTH, 10.0),
    ("m2", Quantity.AREA, 1e4),
    ("MBq", Quantity.ACTIVITY, 1.0),
    ("mCi", Quantity.ACTIVITY, 37.0),
    ("kV", Quantity.VOLTAGE, 1.0),
    ("mA", Quantity.CURRENT, 1.0),
    ("{ratio}", Quantity.COUNT, 1.0),
    ("{X-Ray sources}", Quantity.COUNT, 1.0),
    ("X-ray sources", Quantity.COUNT, 1.0),
    ("{pulse}/s", Quantity.RATE, 1.0),
    ("deg", Quantity.ANGLE, 1.0),
    ("a", Quantity.AGE, 1.0),
]
# Units that are real units, but of another quantity.
WRONG_UNITS: dict[Quantity, list[str]] = {
    Quantity.DAP: ["mGy", "Gy", "mGy.cm", "m2", "s"],
    Quantity.AIR_KERMA: ["Gy.m2", "mGy.cm", "mSv", "kV"],
    Quantity.DLP: ["mGy", "Gy.m2", "mm"],
    Quantity.TIME: ["mm", "mA", "Gy"],
    Quantity.ACTIVITY: ["mGy", "s", "kg"],
}
SYNTAXES = [None, ExplicitVRLittleEndian, ImplicitVRLittleEndian, ExplicitVRBigEndian]


def through_bytes(item: Dataset, syntax: str | None, charset: str | None = None) -> Dataset:
    """A content item wrapped in a document, written and read back (None: used as built)."""
    ds = container("113701", [item])
    if charset:
        ds.SpecificCharacterSet = charset
    if syntax is None:
        return ds
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.88.67"
    ds.SOPInstanceUID = "1.2.3"
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = pydicom.uid.UID(syntax)
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    buffer = BytesIO()
    pydicom.filewriter.dcmwrite(buffer, ds, enforce_file_format=True)
    buffer.seek(0)
    return pydicom.dcmread(buffer)


def only_child(ds: Dataset) -> Node:
    return Node(ds, Reader.for_dataset(ds)).children()[0]


# -- NUM with units ------------------------------------------------------------------------------------
@settings(max_examples=150, deadline=None)
@given(
    unit=st.sampled_from(UNITS),
    value=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).filter(lambda v: v == 0 or abs(v) > 1e-9),
    syntax=st.sampled_from(SYNTAXES),
)
def test_num_is_converted_by_its_declared_unit(
    unit: tuple[str, Quantity, float], value: float, syntax: str | None
) -> None:
    spelling, quantity, expected_factor = unit
    written = float(f"{value:.10g}")  # what a 16-character DS can hold
    node = only_child(through_bytes(num("122130", value, spelling), syntax))
    parsed = node.num()
    assert parsed is not None and parsed.value == written and parsed.unit == spelling
    assert node.quantity(quantity) == pytest.approx(written * expected_factor, rel=1e-12, abs=1e-300)


@settings(max_examples=80, deadline=None)
@given(
    case=st.sampled_from([(q, u) for q, units in WRONG_UNITS.items() for u in units])
    | st.tuples(st.sampled_from(list(WRONG_UNITS)), st.from_regex(r"x_[A-Za-z0-9.]{1,8}", fullmatch=True)),
    syntax=st.sampled_from(SYNTAXES),
)
def test_unit_unknown_for_the_concept_rejects(case: tuple[Quantity, str], syntax: str | None) -> None:
    quantity, spelling = case
    node = only_child(through_bytes(num("122130", 1.5, spelling), syntax))
    with pytest.raises(RejectedInput) as caught:
        node.quantity(quantity)
    assert repr(spelling) in caught.value.reason
    assert caught.value.field_name == "Dose Area Product (DCM 122130)"


@pytest.mark.parametrize("syntax", SYNTAXES)
def test_num_without_measured_value_or_unit(syntax: str | None) -> None:
    missing = only_child(through_bytes(num("113738", None, None), syntax))
    assert missing.num() is None and missing.quantity(Quantity.AIR_KERMA) is None
    no_unit = only_child(through_bytes(num("113768", 12, None), syntax))
    assert no_unit.quantity(Quantity.COUNT) == 12
    with pytest.raises(RejectedInput, match="has no unit"):
        no_unit.quantity(Quantity.DAP)
    assert no_unit.quantity(Quantity.LENGTH) is None
    assert any("has no unit" in w for w in no_unit.reader.warnings)


@pytest.mark.parametrize("syntax", SYNTAXES)
def test_floating_point_value_when_no_decimal_string(syntax: str | None) -> None:
    item = num("113830", 1.0, "mGy")
    measured = item.MeasuredValueSequence[0]
    del measured.NumericValue
    measured.FloatingPointValue = 12.345678901234
    node = only_child(through_bytes(item, syntax))
    assert node.quantity(Quantity.AIR_KERMA) == 12.345678901234


def test_unit_meaning_rescues_a_private_unit_token() -> None:
    item = num("113838", 42.0, "mGy.cm")
    item.MeasuredValueSequence[0].MeasurementUnitsCodeSequence[0].CodeValue = "99DLPUNIT"
    assert only_child(through_bytes(item, None)).quantity(Quantity.DLP) == 42.0


# -- value types, text and structure -------------------------------------------------------------------
@pytest.mark.parametrize("syntax", SYNTAXES)
def test_non_standard_value_types(syntax: str | None) -> None:
    person = content("113870", "PERSON NAME", PersonName="Staff^One")
    node = only_child(through_bytes(person, syntax))
    assert node.value_type == "PNAME" and node.person_name() == "Staff^One"
    modifier = content(
        "123014", "HAS CONCEPT MOD", ConceptCodeSequence=Sequence([code("T-D4000", "SRT", "Abdomen")])
    )
    node = only_child(through_bytes(modifier, syntax))
    assert node.value_type == "CODE" and node.code_meaning_or_text() == "Abdomen"
    assert node.reader.warnings == [
        "content item 123014 (DCM 123014) has non-standard value type 'HAS CONCEPT MOD'; read as CODE"
    ]


@pytest.mark.parametrize(
    ("charset", "value"),
    [("ISO_IR 100", "Thorax café"), ("ISO_IR 192", "Thorax Čáp 胸部"), (None, "Plain ASCII")],
)
@pytest.mark.parametrize("syntax", SYNTAXES)
def test_text_in_the_object_character_set(charset: str | None, value: str, syntax: str | None) -> None:
    node = only_child(through_bytes(text("125203", value), syntax, charset))
    assert node.text() == value


def test_walk_skips_private_containers_unless_asked() -> None:
    private = content(("001", "99PHI-IXR-XPER"), "CONTAINER", children=[num("113750", 1000, "mm")])
    event = container("113706", [num("113738", 0.001, "Gy"), private])
    node = only_child(through_bytes(event, ExplicitVRLittleEndian))
    assert ("DCM", "113750") not in node.index()
    assert ("DCM", "113750") in node.index(skip_private=False)
    assert [n.concept for n in node.walk()] == [("DCM", "113738"), ("99PHI-IXR-XPER", "001")]


def test_legacy_snm3_scheme_is_read_as_srt() -> None:
    view = content("111031", "CODE", ConceptCodeSequence=Sequence([code("R-10242", "SNM3", "cranio-caudal")]))
    assert only_child(through_bytes(view, None)).code_concept() == ("SRT", "R-10242")


# -- raw item reader -----------------------------------------------------------------------------------
code_values = st.from_regex(r"[A-Z0-9][A-Z0-9.-]{0,14}", fullmatch=True)
meanings = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\\"), max_size=40
)


@settings(max_examples=60, deadline=None)
@given(
    codes_=st.lists(
        st.tuples(code_values, st.sampled_from(["DCM", "SRT", "SCT", "99X"]), meanings),
        min_size=1,
        max_size=4,
    ),
    syntax=st.sampled_from(SYNTAXES[1:]),
    undefined=st.booleans(),
)
def test_raw_reader_agrees_with_pydicom(
    codes_: list[tuple[str, str, str]], syntax: str, undefined: bool
) -> None:
    item = content("113772", "CODE", ConceptCodeSequence=Sequence([code(v, s, m) for v, s, m in codes_]))
    if undefined:
        item["ConceptCodeSequence"].is_undefined_length = True
        for entry in item.ConceptCodeSequence:
            entry.is_undefined_length_sequence_item = True
    ds = through_bytes(item, syntax, "ISO_IR 100")
    outer = ds.get_item(0x0040A730)
    assert isinstance(outer, RawDataElement) and isinstance(outer.value, bytes)  # still raw bytes
    raw_items = read_sequence(outer.value, outer.is_little_endian, outer.is_implicit_VR)
    reader = Reader.for_dataset(ds)
    raw_codes = [(code_concept(c), c) for c in items_of(raw_items[0], 0x0040A168)]
    pydicom_codes = ds.ContentSequence[0].ConceptCodeSequence
    assert [c for c, _ in raw_codes] == [(e.CodingSchemeDesignator, e.CodeValue) for e in pydicom_codes]
    assert [decoded_text(raw, 0x00080104, reader) for _, raw in raw_codes] == [
        e.CodeMeaning.strip() or None for e in pydicom_codes
    ]


def test_raw_reader_refuses_truncated_data_and_pydicom_takes_over(monkeypatch: pytest.MonkeyPatch) -> None:
    ds = through_bytes(num("113830", 5.0, "mGy"), ExplicitVRLittleEndian)
    outer = ds.get_item(0x0040A730)
    with pytest.raises(ValueError):
        read_sequence(outer.value[:-6], True, False)
    with pytest.raises(ValueError):
        read_sequence(b"\x08\x00\x00\x01" + b"\x00" * 12, True, False)  # not an item tag

    # Whatever the raw reader refuses, pydicom reads instead: the values are the same.
    def refuse(data: bytes, little: bool, implicit: bool) -> list[object]:
        raise ValueError("refused")

    monkeypatch.setattr("kerma.ingest.rdsr.tree.read_sequence", refuse)
    node = only_child(through_bytes(num("113830", 5.0, "mGy"), ExplicitVRLittleEndian))
    assert isinstance(node.item, Dataset)
    assert node.concept == ("DCM", "113830") and node.quantity(Quantity.AIR_KERMA) == 5.0
