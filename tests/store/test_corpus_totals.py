"""Study totals in the store after importing the whole corpus, against dcmtk's independent reading.

Each study's stored total must equal the total its (last, most complete) RDSR reports according to
dsr2xml, in canonical units; studies with several reports follow the replacement and addition rules.
"""

from __future__ import annotations

import pydicom
import pytest
from sqlalchemy import Engine, select

from kerma.config import Settings
from kerma.ingest.pipeline import Ingestor
from kerma.store import open_store
from kerma.store.schema.core import studies
from tests.conftest import corpus_path
from tests.ingest.test_rdsr_corpus import (
    CT_FILES,
    DAP_GY_CM2,
    DLP_MGY_CM,
    first_number,
    items,
    xml_content,
)

pytestmark = pytest.mark.corpus

# Studies made of several reports: the file whose totals the study must show, or the sum of several.
SUPERSEDED = {"CT-RDSR-Siemens-Multi-1.dcm", "CT-RDSR-Siemens-Multi-2.dcm"}
ADDED = ("CT-RDSR-Siemens-Continued-1.dcm", "CT-RDSR-Siemens-Continued-2.dcm")


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    import os

    os.environ.setdefault("KERMA_SITE_SECRET", "test-site-secret-0123456789abcdef")
    tmp = tmp_path_factory.mktemp("corpus")
    engine = open_store(f"sqlite:///{tmp / 'k.db'}")
    report = Ingestor(engine, Settings(quarantine_dir=tmp / "q")).import_paths([corpus_path()])
    assert report.rejected == []
    return engine


def _study_uid(name: str) -> str:
    return str(pydicom.dcmread(corpus_path(name), stop_before_pixels=True).StudyInstanceUID)


def _stored(engine: Engine, uid: str, column: str) -> float | None:
    with engine.connect() as conn:
        return conn.scalar(select(studies.c[column]).where(studies.c.study_instance_uid == uid))


def _xml_total(name: str, code: str, factors: dict[str, float]) -> float | None:
    return first_number(xml_content(name), code, factors)


@pytest.mark.parametrize("name", [f for f in CT_FILES if f not in SUPERSEDED and f not in ADDED])
def test_ct_study_total_dlp_is_the_reported_total(imported: Engine, name: str) -> None:
    expected = _xml_total(name, "113813", DLP_MGY_CM)
    assert _stored(imported, _study_uid(name), "total_dlp_mgy_cm") == pytest.approx(expected)


def test_cumulative_reports_count_once_and_continued_ones_add(imported: Engine) -> None:
    multi3 = _xml_total("CT-RDSR-Siemens-Multi-3.dcm", "113813", DLP_MGY_CM)
    assert multi3 == pytest.approx(236.09)
    assert _stored(imported, _study_uid("CT-RDSR-Siemens-Multi-3.dcm"), "total_dlp_mgy_cm") == pytest.approx(
        multi3
    )
    both = sum(_xml_total(n, "113813", DLP_MGY_CM) or 0 for n in ADDED)
    assert both == pytest.approx(116.61)
    assert _stored(imported, _study_uid(ADDED[0]), "total_dlp_mgy_cm") == pytest.approx(both)


@pytest.mark.parametrize(
    "name",
    [
        "RF-RDSR-Philips_Allura.dcm",
        "RF-RDSR-GE.dcm",
        "RF-RDSR-Philips_Azurion.dcm",
        "RF-RDSR-Canon-Alphenix-rotational.dcm",
        "DX-RDSR-Carestream_DRXEvolution.dcm",
    ],
)
def test_projection_study_dap_is_the_sum_of_plane_totals(imported: Engine, name: str) -> None:
    content = xml_content(name)
    planes = items(content, "113702")
    expected = 0.0
    for plane in planes:
        total = first_number(plane, "113722", DAP_GY_CM2)
        if total is None:
            total = sum(v or 0 for v in (first_number(plane, c, DAP_GY_CM2) for c in ("113726", "113727")))
        expected += total
    assert _stored(imported, _study_uid(name), "total_dap_gy_cm2") == pytest.approx(expected)


def test_same_mammogram_as_two_images_counts_once(imported: Engine) -> None:
    uid = _study_uid("MG-Im-GE_Seno_1_ForProcessing.dcm")
    with imported.connect() as conn:
        row = conn.execute(select(studies.c.event_count).where(studies.c.study_instance_uid == uid)).one()
    # Seno_1 as for-processing and for-presentation image, plus Seno_2 if it is in the same study.
    same_study = _study_uid("MG-Im-GE_Seno_2_ForPresentation.dcm") == uid
    assert row.event_count == (2 if same_study else 1)


def test_pet_ct_activity_counts_once(imported: Engine) -> None:
    uid = _study_uid("NM-RRDSR-Siemens.dcm")
    rrdsr = xml_content("NM-RRDSR-Siemens.dcm")
    expected = first_number(rrdsr, "113507", {"MBq": 1.0})
    assert _stored(imported, uid, "administered_activity_mbq") == pytest.approx(expected)
    ct_uid = _study_uid("NM-CT-RDSR-Siemens.dcm")
    if ct_uid == uid:
        ct = _xml_total("NM-CT-RDSR-Siemens.dcm", "113813", DLP_MGY_CM)
        assert _stored(imported, uid, "total_dlp_mgy_cm") == pytest.approx(ct)
