"""Image objects are valid Part 10 files whose headers carry the dose of their exposure."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pydicom

from kerma.domain.units import Quantity, factor
from tests.simulate.helpers import Simulated, read_sr

SOP_CLASS = {
    "CT": "1.2.840.10008.5.1.4.1.1.2",
    "DX": "1.2.840.10008.5.1.4.1.1.1.1",
    "MG": "1.2.840.10008.5.1.4.1.1.1.2",
    "XA": "1.2.840.10008.5.1.4.1.1.12.1",
    "RF": "1.2.840.10008.5.1.4.1.1.12.2",
}
DGY_CM2 = Decimal(str(factor("dGy.cm2", Quantity.DAP)))  # (0018,115E) dGy·cm² -> Gy·cm²
DGY = Decimal(str(factor("dGy", Quantity.AIR_KERMA)))  # (0040,0316) dGy -> mGy


def _decimal(value: object) -> Decimal:
    return Decimal(str(value))


def test_images_are_readable_and_carry_dose(simulated: Simulated) -> None:
    rows = [row for row in simulated.rows if row.image_files]
    assert {row.modality for row in rows} == {"CT", "DX", "MG", "RF", "XA"}
    for row in rows:
        dap = Decimal(0)
        agd: dict[str, Decimal] = defaultdict(Decimal)
        ctdivol: list[Decimal] = []
        for path in simulated.images(row):
            raw = path.read_bytes()
            assert raw[128:132] == b"DICM"
            ds = pydicom.dcmread(path, stop_before_pixels=True)
            assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"
            assert ds.SOPClassUID == SOP_CLASS[row.modality] == ds.file_meta.MediaStorageSOPClassUID
            assert ds.Modality == row.modality
            assert ds.StudyInstanceUID == row.study_instance_uid
            assert ds.IrradiationEventUID
            assert (ds.Rows, ds.Columns, ds.BitsAllocated) == (8, 8, 16)
            assert float(ds.KVP) > 0
            if row.modality == "CT":
                if "LOCALIZER" in ds.ImageType:
                    assert "CTDIvol" not in ds
                else:
                    ctdivol.append(_decimal(ds.CTDIvol))
                    assert ds.CTDIPhantomTypeCodeSequence[0].CodeValue in ("113690", "113691")
            elif row.modality == "MG":
                assert ds.ImageLaterality in ("L", "R") and ds.ViewPosition in ("CC", "MLO")
                assert float(ds.BodyPartThickness) > 0 and float(ds.EntranceDoseInmGy) > 0
                agd[ds.ImageLaterality] += _decimal(ds.OrganDose) * DGY
            else:
                dap += _decimal(ds.ImageAndFluoroscopyAreaDoseProduct) * DGY_CM2
                if row.modality == "DX":
                    assert float(ds.ExposureIndex) > 0 and ds.DeviationIndex is not None
        # full read, pixel data included
        full = pydicom.dcmread(simulated.images(row)[-1])
        assert len(full.PixelData) == 8 * 8 * 2
        if row.has_rdsr:
            continue
        # image-only studies: the ground truth is what the headers add up to
        assert row.image_files == row.event_count
        if row.modality == "CT":
            assert max(ctdivol, default=Decimal(0)) == Decimal(row.max_ctdivol_mgy)
            assert row.total_dlp_mgy_cm == ""  # CT images carry no DLP
        elif row.modality == "MG":
            assert agd.get("L", Decimal(0)) == Decimal(row.agd_left_mgy or 0)
            assert agd.get("R", Decimal(0)) == Decimal(row.agd_right_mgy or 0)
        else:
            assert dap == Decimal(row.total_dap_gy_cm2)


def test_images_beside_an_rdsr_name_its_events(simulated: Simulated) -> None:
    rows = [row for row in simulated.rows if row.has_rdsr and row.image_files][:12]
    assert rows
    for row in rows:
        _, root = read_sr(simulated.reports(row)[-1])
        events = root.find("DCM", "113819") + root.find("DCM", "113706")
        event_uids = {event.one("DCM", "113769").value for event in events}
        image_uids = {
            pydicom.dcmread(p, stop_before_pixels=True).IrradiationEventUID for p in simulated.images(row)
        }
        assert image_uids <= event_uids


def test_image_only_studies_exist_for_every_modality(simulated: Simulated) -> None:
    modalities = {row.modality for row in simulated.rows if not row.has_rdsr}
    assert modalities == {"CT", "DX", "MG", "RF", "XA"}
