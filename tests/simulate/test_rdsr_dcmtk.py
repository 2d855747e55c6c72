"""dcmtk's dsr2xml reads a sample of the generated RDSRs without complaint, and says what the truth says."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pytest

from kerma.domain.units import Quantity, factor
from kerma.simulate import TruthRow
from tests.simulate.helpers import Simulated

DSR2XML = shutil.which("dsr2xml")
# dcmtk 3.6.7's VR checker cannot check UTF-8 strings; it says so and reads the file anyway
KNOWN_NOTICE = "The VR checker does not support this Specific Character Set: ISO_IR 192"

pytestmark = pytest.mark.skipif(DSR2XML is None, reason="dcmtk's dsr2xml is not installed")


def _sample(simulated: Simulated) -> list[TruthRow]:
    """About 40 RDSR studies covering every modality, room habit and arrival variant."""
    rows = [row for row in simulated.rows if row.has_rdsr]
    chosen: dict[str, TruthRow] = {}
    for row in rows:  # the first study of each room, each variant, biplane
        for key in (row.room, f"variant:{row.rdsr_variant}", f"planes:{row.planes}"):
            chosen.setdefault(key, row)
    for row in rows[:: max(len(rows) // 12, 1)]:
        chosen.setdefault(row.study_instance_uid, row)
    return list(chosen.values())


def _dsr2xml(path: Path) -> ET.Element:
    assert DSR2XML is not None
    result = subprocess.run([DSR2XML, str(path)], capture_output=True, check=False)
    notices = [line for line in result.stderr.decode(errors="replace").splitlines() if line.strip()]
    assert result.returncode == 0, f"{path}: {notices}"
    assert all(KNOWN_NOTICE in line for line in notices), f"{path}: {notices}"
    return ET.fromstring(result.stdout)


def _numbers(root: ET.Element, code: str) -> list[Decimal]:
    """Values of every NUM content item with concept DCM ``code`` (dsr2xml's default layout)."""
    found = []
    for num in root.iter("num"):
        if num.findtext("concept/value") == code and num.findtext("concept/scheme/designator") == "DCM":
            found.append(Decimal(num.findtext("value") or "nan"))
    return found


def test_dsr2xml_reads_a_sample_across_modalities(simulated: Simulated) -> None:
    sample = _sample(simulated)
    assert len(sample) >= 35
    assert {row.modality for row in sample} == {"CT", "DX", "MG", "RF", "XA"}
    assert {row.rdsr_variant for row in sample} >= {"single", "resent", "superset", "split"}
    assert 2 in {row.planes for row in sample}
    gy_m2 = Decimal(str(factor("Gy.m2", Quantity.DAP)))  # Gy·m² -> Gy·cm²
    for row in sample:
        reports = [_dsr2xml(path) for path in simulated.reports(row)]
        assert len(reports) == row.rdsr_files
        report = reports[-1]
        assert report.findtext("sopclass") == "XRayRadiationDoseSRStorage"
        texts = [text.findtext("value") for text in report.iter("text")]
        assert row.station_name in texts  # Device Observer Name, in the room's character set
        if row.modality == "CT":
            if row.rdsr_variant == "split":  # two reports, each with the total of its own events
                totals = [_numbers(r, "113813")[0] for r in reports]
                assert sum(totals) == Decimal(row.total_dlp_mgy_cm)
            else:
                assert _numbers(report, "113813") == [Decimal(row.total_dlp_mgy_cm)]
                assert _numbers(report, "113812") == [Decimal(row.event_count)]
        elif row.modality == "MG":
            written = sorted(_numbers(report, "111637"))
            expected = sorted(Decimal(v) for v in (row.agd_left_mgy, row.agd_right_mgy) if v)
            assert written == expected
        else:
            dap_totals = _numbers(report, "113722")
            assert len(dap_totals) == row.planes
            assert sum(dap_totals) * gy_m2 == Decimal(row.total_dap_gy_cm2)
