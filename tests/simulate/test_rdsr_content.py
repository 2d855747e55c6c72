"""The generated RDSRs follow TID 10011 / 10001 and their totals are the sums of their events.

Files are read with pydicom and a small SR walker written for these tests (tests/simulate/helpers.py),
not with the project's parser; numbers are compared as the exact decimal strings written.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pydicom
import pytest

from kerma.domain.units import Quantity, factor
from kerma.simulate import TruthRow
from tests.simulate.helpers import Node, Simulated, read_sr

RDSR_CLASS = "1.2.840.10008.5.1.4.1.1.88.67"
CT_PROCEDURE = {("SCT", "77477000"), ("SRT", "P5-08000")}
MAMMOGRAPHY = {("SCT", "71651007"), ("SRT", "P5-40010")}
FLUOROSCOPY = {("SCT", "44491008"), ("SRT", "P5-06000")}
SPIRAL = {("SCT", "116152004"), ("SRT", "P5-08001")}
LEFT, RIGHT = {("SCT", "7771000"), ("SRT", "G-A101")}, {("SCT", "24028007"), ("SRT", "G-A100")}
GY_M2 = Decimal(str(factor("Gy.m2", Quantity.DAP)))  # Gy·m² -> Gy·cm²
GY = Decimal(str(factor("Gy", Quantity.AIR_KERMA)))  # Gy -> mGy


def _sample(simulated: Simulated) -> list[TruthRow]:
    """Every room, arrival variant and plane count once, then more CT/DX/MG studies (about 60)."""
    rows = [row for row in simulated.rows if row.has_rdsr]
    chosen: dict[str, TruthRow] = {}
    for row in rows:
        for key in (row.room, row.rdsr_variant, f"{row.modality}{row.planes}"):
            chosen.setdefault(key, row)
    # fluoroscopy reports hold hundreds of items each: sample the quick ones for the rest
    for row in (row for row in rows[::3] if row.modality in ("CT", "DX", "MG")):
        if len(chosen) >= 60:
            break
        chosen.setdefault(row.study_instance_uid, row)
    return list(chosen.values())


@pytest.fixture(scope="module")
def sample(simulated: Simulated) -> list[TruthRow]:
    rows = _sample(simulated)
    assert {row.modality for row in rows} == {"CT", "DX", "MG", "RF", "XA"}
    return rows


def _document(simulated: Simulated, row: TruthRow, path_index: int = -1) -> Node:
    ds, root = read_sr(simulated.reports(row)[path_index])
    assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"
    assert ds.SOPClassUID == RDSR_CLASS and ds.Modality == "SR"
    assert ds.CompletionFlag == "COMPLETE" and ds.VerificationFlag == "UNVERIFIED"
    assert ds.StudyInstanceUID == row.study_instance_uid and ds.AccessionNumber == row.accession_number
    assert root.concept == ("DCM", "113701")
    template = ds.ContentTemplateSequence[0]
    assert template.MappingResource == "DCMR"
    assert template.TemplateIdentifier == ("10011" if row.modality == "CT" else "10001")
    assert root.one("DCM", "121012").value == row.device_observer_uid
    study_day = date.fromisoformat(row.study_datetime[:10])
    for event in root.find("DCM", "113819") + root.find("DCM", "113706"):
        started = str(event.one("DCM", "111526").value)
        assert started[:8] == f"{study_day:%Y%m%d}"
    return root


def _ct_events(root: Node) -> list[Node]:
    events = root.find("DCM", "113819")
    accumulated = root.one("DCM", "113811")
    assert accumulated.number("113812", "{events}") == len(events)
    total = sum(
        (e.one("DCM", "113829").number("113838", "mGy.cm") for e in events if e.find("DCM", "113829")),
        Decimal(0),
    )
    assert accumulated.number("113813", "mGy.cm") == total  # exactly the sum of the events
    for event in events:
        kind = event.one("DCM", "113820").value
        parameters = event.one("DCM", "113822")
        length = parameters.number("113825", "mm")
        parameters.number("113824", "s")
        source = parameters.one("DCM", "113831")
        assert 70 <= source.number("113733", "kV") <= 140
        if kind == ("DCM", "113805"):  # localizer: no CT Dose container, as scanners write it
            assert event.find("DCM", "113829") == []
            continue
        dose = event.one("DCM", "113829")
        ctdivol, dlp = dose.number("113830", "mGy"), dose.number("113838", "mGy.cm")
        assert dose.one("DCM", "113835").value in {("DCM", "113690"), ("DCM", "113691")}
        if kind == ("DCM", "113806"):  # stationary: DLP = CTDIvol x nominal total collimation
            length = parameters.number("113827", "mm")
        else:
            assert kind in SPIRAL | {("DCM", "113804")}
            assert parameters.number("113828", "{ratio}") > 0
        # DLP = CTDIvol x scanning length, up to the rounding of the written CTDIvol
        assert abs(dlp - ctdivol * length / 10) <= Decimal("0.005") * length / 10 + Decimal("0.01")
    return events


def _check_ct(simulated: Simulated, row: TruthRow) -> None:
    reports = simulated.reports(row)
    assert row.rdsr_files == len(reports)
    roots = [_document(simulated, row, i) for i in range(len(reports))]
    assert all(root.one("DCM", "121058").value in CT_PROCEDURE for root in roots)
    events = [[e.one("DCM", "113769").value for e in _ct_events(root)] for root in roots]
    if row.rdsr_variant == "resent":
        assert reports[0].read_bytes() == reports[1].read_bytes()
    elif row.rdsr_variant == "superset":  # an earlier cumulative report, then the complete one
        assert set(events[0]) < set(events[1])
        uids = {pydicom.dcmread(path, stop_before_pixels=True).SOPInstanceUID for path in reports}
        assert len(uids) == 2
    elif row.rdsr_variant == "split":  # two performed procedure steps, disjoint events, both count
        assert set(events[0]).isdisjoint(events[1])
        for root in roots:
            assert root.one("DCM", "113705").value == ("DCM", "113016")
        assert sum((r.one("DCM", "113811").number("113813", "mGy.cm") for r in roots), Decimal(0)) == Decimal(
            row.total_dlp_mgy_cm
        )
        assert sum(len(e) for e in events) == row.event_count
        return
    final = roots[-1]
    assert final.one("DCM", "113705").value == ("DCM", "113014")
    assert final.one("DCM", "113811").number("113813", "mGy.cm") == Decimal(row.total_dlp_mgy_cm)
    assert len(events[-1]) == row.event_count == len(set(events[-1]))


def _check_projection(simulated: Simulated, row: TruthRow) -> None:
    root = _document(simulated, row)
    assert root.one("DCM", "121058").value == ("DCM", "113704")
    events = root.find("DCM", "113706")
    assert len(events) == row.event_count == len({e.one("DCM", "113769").value for e in events})
    by_plane: dict[object, list[Node]] = defaultdict(list)
    for event in events:
        by_plane[event.one("DCM", "113764").value].append(event)
    planes = root.find("DCM", "113702")
    assert len(planes) == row.planes == len(by_plane)
    dap_total = kar_total = fluoro_total = Decimal(0)
    for plane in planes:
        mine = by_plane[plane.one("DCM", "113764").value]
        dap = [e.number("122130", "Gy.m2") for e in mine]
        kar = [e.number("113738", "Gy") for e in mine]
        assert plane.number("113722", "Gy.m2") == sum(dap, Decimal(0))
        assert plane.number("113725", "Gy") == sum(kar, Decimal(0))
        dap_total += plane.number("113722", "Gy.m2")
        kar_total += plane.number("113725", "Gy")
        if row.modality == "DX":
            assert plane.number("113731", "1") == len(mine)
            for event in mine:  # Ka,r in the detector plane = DAP / collimated field area
                area = event.number("113790", "m2")
                ratio = event.number("113738", "Gy") / (event.number("122130", "Gy.m2") / area)
                assert abs(ratio - 1) < Decimal("0.02")
                assert event.number("113824", "ms") > 0
            continue
        fluoro = [e for e in mine if e.one("DCM", "113721").value in FLUOROSCOPY]
        acquisitions = [e for e in mine if e not in fluoro]
        assert plane.number("113726", "Gy.m2") == sum(
            (e.number("122130", "Gy.m2") for e in fluoro), Decimal(0)
        )
        assert plane.number("113727", "Gy.m2") == sum(
            (e.number("122130", "Gy.m2") for e in acquisitions), Decimal(0)
        )
        assert plane.number("113722", "Gy.m2") == plane.number("113726", "Gy.m2") + plane.number(
            "113727", "Gy.m2"
        )
        assert plane.number("113728", "Gy") + plane.number("113729", "Gy") == plane.number("113725", "Gy")
        fluoro_time = sum((e.number("113742", "s") for e in fluoro), Decimal(0))
        assert plane.number("113730", "s") == fluoro_time
        assert plane.number("113855", "s") == sum((e.number("113742", "s") for e in acquisitions), Decimal(0))
        assert plane.number("113731", "1") == sum((e.number("113768", "1") for e in acquisitions), Decimal(0))
        assert plane.one("DCM", "113780").value == ("DCM", "113860")
        fluoro_total += fluoro_time
        for event in mine:
            assert event.number("113791", "{pulse}/s") > 0
            # exposure time (ms) = pulses x pulse width
            pulses, width = event.number("113768", "1"), event.number("113793", "ms")
            assert abs(event.number("113824", "ms") - pulses * width) <= Decimal("0.05")
        if row.planes == 1:
            assert plane.one("DCM", "113764").value == ("DCM", "113622")
    assert dap_total * GY_M2 == Decimal(row.total_dap_gy_cm2)
    assert kar_total * GY == Decimal(row.total_kar_mgy)
    if row.modality != "DX":
        assert fluoro_total == Decimal(row.fluoro_time_s)


def _check_mammo(simulated: Simulated, row: TruthRow) -> None:
    root = _document(simulated, row)
    assert root.one("DCM", "121058").value in MAMMOGRAPHY
    per_side: dict[str, Decimal] = defaultdict(Decimal)
    events = root.find("DCM", "113706")
    assert len(events) == row.event_count
    for event in events:
        region = event.one("DCM", "123014")
        side = region.children[0].value
        agd = event.number("111631", "mGy")
        assert event.number("111636", "mGy") > agd > 0  # entrance air kerma exceeds the AGD
        assert 15 <= event.number("111633", "mm") <= 110
        per_side["L" if side in LEFT else "R"] += agd
    accumulated = root.one("DCM", "113702").find("DCM", "111637")
    written = {("L" if node.children[0].value in LEFT else "R"): node.value for node in accumulated}
    assert all(node.unit == "mGy" for node in accumulated)
    assert written == dict(per_side)
    assert written.get("L", Decimal(0)) == Decimal(row.agd_left_mgy or 0)
    assert written.get("R", Decimal(0)) == Decimal(row.agd_right_mgy or 0)
    assert all(node.children[0].value in LEFT | RIGHT for node in accumulated)


def test_rdsr_structure_and_totals(simulated: Simulated, sample: list[TruthRow]) -> None:
    checks = {
        "CT": _check_ct,
        "MG": _check_mammo,
        "DX": _check_projection,
        "RF": _check_projection,
        "XA": _check_projection,
    }
    for row in sample:
        checks[row.modality](simulated, row)


def test_every_rdsr_study_has_its_files(simulated: Simulated) -> None:
    for row in simulated.rows:
        assert len(simulated.reports(row)) == row.rdsr_files
        assert (row.rdsr_files > 0) == row.has_rdsr
        assert len(simulated.images(row)) == row.image_files
