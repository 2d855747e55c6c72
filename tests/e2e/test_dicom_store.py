"""The storage and MPPS SCP against real senders: dcmtk's storescu/echoscu and pynetdicom as SCU.

The listener runs in the test process (fast to start); the tests with SIGKILL and SIGTERM and the
memory test run `kerma serve` as a subprocess (test_dicom_serve.py).
"""

from __future__ import annotations

import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydicom.dataset import Dataset
from pydicom.encaps import encapsulate
from pydicom.uid import DeflatedExplicitVRLittleEndian, ExplicitVRLittleEndian, JPEGBaseline8Bit, generate_uid
from pynetdicom import AE
from sqlalchemy import Engine, func, select, text

from kerma.config import load_settings
from kerma.ingest.pipeline import Ingestor
from kerma.net.config import Sender, add_sender
from kerma.net.dicom_scp import DicomNode, NodeConfig, TlsConfig
from kerma.store import open_store
from kerma.store.schema.core import dose_objects, ingest_log, studies
from kerma.store.schema.net import mpps_steps
from tests.conftest import corpus_path
from tests.e2e.dicom_peers import acknowledged, dcmtk_env, need, storescu
from tests.net.builders import CT_IMAGE, MPPS, ct_image, mpps_completion, mpps_create, with_meta, write

pytestmark = pytest.mark.slow


def start_node(url: str, **config: object) -> tuple[DicomNode, Engine]:
    engine = open_store(url)
    node = DicomNode(engine, load_settings(), NodeConfig(host="127.0.0.1", port=0, **config))  # type: ignore[arg-type]
    node.start()
    return node, engine


@pytest.fixture
def node(sqlite_url: str) -> Iterator[DicomNode]:
    n, engine = start_node(sqlite_url)
    yield n
    n.stop(grace_s=1)
    engine.dispose()


@pytest.fixture(params=[0, 2], ids=["in-listener", "2-workers"])
def any_node(sqlite_url: str, request: pytest.FixtureRequest) -> Iterator[DicomNode]:
    """A listener that receives in its own threads, and one that hands objects to worker processes."""
    n, engine = start_node(sqlite_url, ingest_workers=request.param)
    yield n
    n.stop(grace_s=1)
    engine.dispose()


def count(engine: Engine, table: str = "dose_objects") -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"select count(*) from {table}")).scalar_one())


def outcomes(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(
            conn.execute(select(ingest_log.c.outcome, func.count()).group_by(ingest_log.c.outcome)).all()
        )  # type: ignore[arg-type]


def scu(*contexts: str, aet: str = "PYNET") -> AE:
    ae = AE(ae_title=aet)
    for c in contexts:
        ae.add_requested_context(c, [ExplicitVRLittleEndian])
    return ae


# -- storescu as the modality -------------------------------------------------------------------------


def test_storescu_batch_matches_a_file_import(any_node: DicomNode, tmp_path: Path) -> None:
    """The shared corpus and simulated objects sent by storescu give the same store as `kerma import`."""
    node = any_node
    need("storescu")
    from kerma.simulate import simulate

    simulate(tmp_path / "sim", studies=8, seed=7)
    corpus = sorted(p for p in corpus_path().glob("*.dcm") if p.name != "MG-Im-Hologic-PropProj.dcm")
    files = corpus + sorted((tmp_path / "sim").rglob("*.dcm"))
    t0 = time.monotonic()
    result = storescu(node.port, files)
    print(f"storescu: {len(files)} files in {time.monotonic() - t0:.1f} s")
    acks = acknowledged(result.stdout + result.stderr)
    assert len(acks) == len(files), result.stderr[-2000:]
    assert set(acks.values()) == {"Success"}  # duplicates and non-dose objects are answered success too

    file_db = open_store(f"sqlite:///{tmp_path / 'files.db'}")
    Ingestor(file_db, load_settings()).import_paths(files)

    def content(engine: Engine) -> tuple[set[str], dict[str, tuple[object, ...]]]:
        with engine.connect() as conn:
            uids = {r[0] for r in conn.execute(select(dose_objects.c.sop_instance_uid))}
            totals = {
                r[0]: tuple(r[1:])
                for r in conn.execute(
                    select(
                        studies.c.study_instance_uid,
                        studies.c.event_count,
                        studies.c.total_dlp_mgy_cm,
                        studies.c.total_dap_gy_cm2,
                        studies.c.total_agd_mgy,
                        studies.c.administered_activity_mbq,
                        studies.c.dose_source,
                    )
                )
            }
        return uids, totals

    net_uids, net_totals = content(node.engine)
    file_uids, file_totals = content(file_db)
    assert net_uids == file_uids
    assert net_totals == file_totals
    got = outcomes(node.engine)
    # the listener process counted every object, whoever received it
    assert sum(node.status()["outcomes"].values()) == len(files)
    assert got.get("duplicate") == 1  # the Siemens Artis Zee pair share a SOP Instance UID
    assert got.get("not_dose_relevant", 0) >= 1  # ESR_non-dose.dcm
    assert "rejected" not in got
    file_db.dispose()


def test_echoscu(node: DicomNode) -> None:
    need("echoscu")
    result = subprocess.run(
        ["echoscu", "-aec", "KERMA", "-aet", "ECHO", "127.0.0.1", str(node.port)],
        capture_output=True,
        timeout=30,
    )
    assert result.returncode == 0


def test_unknown_sop_class_is_refused_at_negotiation(node: DicomNode, tmp_path: Path) -> None:
    need("storescu")
    mr = ct_image()
    mr.SOPClassUID = "1.2.840.10008.5.1.4.1.1.4"  # MR Image Storage: no dose, not Kerma's business
    mr.Modality = "MR"
    ct = ct_image()
    files = [write(mr, tmp_path / "mr.dcm"), write(ct, tmp_path / "ct.dcm")]
    result = storescu(node.port, files)
    out = result.stdout + result.stderr
    acks = acknowledged(out)
    assert acks == {str(files[1]): "Success"}
    assert "No presentation context" in out or "no presentation context" in out.lower()
    with node.engine.connect() as conn:
        assert [r[0] for r in conn.execute(select(dose_objects.c.sop_instance_uid))] == [ct.SOPInstanceUID]


def test_deflated_and_jpeg_objects_over_the_network(node: DicomNode, tmp_path: Path) -> None:
    need("storescu")
    deflated = ct_image(ctdivol=21.0)
    jpeg = ct_image(ctdivol=22.0)
    jpeg.PixelData = encapsulate([b"\xff\xd8 compressed frame, never decoded \xff\xd9"])
    jpeg["PixelData"].VR = "OB"
    files = [
        write(deflated, tmp_path / "deflated.dcm", DeflatedExplicitVRLittleEndian),
        write(jpeg, tmp_path / "jpeg.dcm", JPEGBaseline8Bit),
    ]
    for f, option in zip(files, ("-xd", "-xy"), strict=True):
        result = storescu(node.port, [f], extra=[option])
        assert acknowledged(result.stdout + result.stderr) == {str(f): "Success"}, result.stderr[-1500:]
    with node.engine.connect() as conn:
        assert sorted(r[0] for r in conn.execute(text("select ctdivol_mgy from events"))) == [21.0, 22.0]


def test_calling_ae_not_on_the_list_is_rejected(sqlite_url: str) -> None:
    need("echoscu")
    engine = open_store(sqlite_url)
    add_sender(engine, Sender("CT_NORTH", station_name="CT North"))
    node, _ = start_node(sqlite_url, restrict_senders=True)
    try:

        def echo(aet: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                ["echoscu", "-v", "-aec", "KERMA", "-aet", aet, "127.0.0.1", str(node.port)],
                capture_output=True,
                text=True,
                timeout=30,
            )

        refused = echo("STRANGER")
        assert refused.returncode != 0
        assert "Calling AE Title Not Recognized" in refused.stdout + refused.stderr
        assert echo("CT_NORTH").returncode == 0
        node.senders.refresh_s = 0.1
        add_sender(engine, Sender("LATECOMER"))  # added while running
        time.sleep(0.2)
        assert echo("LATECOMER").returncode == 0
        assert node.status()["associations_rejected"] == 1
    finally:
        node.stop(grace_s=1)
        engine.dispose()


def test_tls(sqlite_url: str, tmp_path: Path) -> None:
    need("openssl", "storescu")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    node, engine = start_node(sqlite_url, tls=TlsConfig(cert, key))
    try:
        f = write(ct_image(), tmp_path / "ct.dcm")
        secure = storescu(node.port, [f], extra=["+tla", "+cf", str(cert)])
        assert acknowledged(secure.stdout + secure.stderr) == {str(f): "Success"}, secure.stderr[-1500:]
        plain = storescu(node.port, [write(ct_image(), tmp_path / "plain.dcm")])
        assert not acknowledged(plain.stdout + plain.stderr)
        # pynetdicom as a TLS client too
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(cert))
        assoc = scu(CT_IMAGE).associate("127.0.0.1", node.port, ae_title="KERMA", tls_args=(ctx, "localhost"))
        assert assoc.is_established
        status = assoc.send_c_store(with_meta(ct_image()))
        assoc.release()
        assert status.Status == 0
        assert count(engine) == 2
    finally:
        node.stop(grace_s=1)
        engine.dispose()


# -- bad senders --------------------------------------------------------------------------------------


def test_malformed_dataset_is_quarantined_and_refused(
    any_node: DicomNode, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pynetdicom import _config

    node = any_node
    from tests.net.test_receive import malformed

    # send files as they are on disk, without decoding them first (pynetdicom would refuse the bad one)
    monkeypatch.setattr(_config, "STORE_SEND_CHUNKED_DATASET", True)
    ds = ct_image()
    path = write(ds, tmp_path / "bad.dcm")
    path.write_bytes(malformed(path.read_bytes()))
    mismatch = ct_image()
    mpath = write(mismatch, tmp_path / "mismatch.dcm")
    data = mpath.read_bytes()  # the file meta (sent as the command's UID) names another instance
    uid = str(mismatch.SOPInstanceUID)
    other = uid[:-1] + ("1" if uid[-1] != "1" else "2")  # same length: the meta stays well-formed
    mpath.write_bytes(data.replace(uid.encode(), other.encode(), 1))

    assoc = scu(CT_IMAGE).associate("127.0.0.1", node.port, ae_title="KERMA")
    assert assoc.is_established
    bad = assoc.send_c_store(path)
    wrong = assoc.send_c_store(mpath)
    good = assoc.send_c_store(write(ct_image(), tmp_path / "good.dcm"))
    assoc.release()
    assert bad.Status == 0xC210
    assert wrong.Status == 0xA900
    assert good.Status == 0
    assert count(node.engine) == 1
    reasons = sorted((Path(load_settings().quarantine_dir)).glob("*.reason.json"))
    assert len(reasons) == 2


def send_half_then_abort(assoc: object, ds: Dataset) -> None:
    """Send the first half of a C-STORE request's P-DATA, then A-ABORT: a sender dying mid-object."""
    from io import BytesIO

    from pynetdicom.dimse_messages import C_STORE_RQ
    from pynetdicom.dimse_primitives import C_STORE
    from pynetdicom.dsutils import encode

    req = C_STORE()
    req.MessageID = 2
    req.AffectedSOPClassUID = ds.SOPClassUID
    req.AffectedSOPInstanceUID = ds.SOPInstanceUID
    req.Priority = 2
    req.DataSet = BytesIO(encode(ds, False, True))
    msg = C_STORE_RQ()
    msg.primitive_to_message(req)
    cx = next(c for c in assoc.accepted_contexts if c.abstract_syntax == CT_IMAGE)  # type: ignore[attr-defined]
    pdus = list(msg.encode_msg(cx.context_id, assoc.dimse.maximum_pdu_size))  # type: ignore[attr-defined]
    assert len(pdus) > 4
    for pdu in pdus[: len(pdus) // 2]:
        assoc.dul.send_pdu(pdu)  # type: ignore[attr-defined]
    time.sleep(0.3)  # the listener is now waiting for the rest of the data set
    assoc.abort()  # type: ignore[attr-defined]


def test_sender_aborting_mid_association_loses_only_the_unacknowledged(node: DicomNode) -> None:
    import tempfile

    partial_files = lambda: set(Path(tempfile.gettempdir()).glob("tmp*.dcm"))  # noqa: E731
    before = partial_files()
    first = with_meta(ct_image())
    big = ct_image(frames=40, rows=512)  # about 10 MB, many P-DATA fragments
    assoc = scu(CT_IMAGE).associate("127.0.0.1", node.port, ae_title="KERMA")
    assert assoc.send_c_store(first).Status == 0
    send_half_then_abort(assoc, big)
    deadline = time.monotonic() + 10
    while node.active_associations() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert node.active_associations() == 0
    with node.engine.connect() as conn:
        stored = [r[0] for r in conn.execute(select(dose_objects.c.sop_instance_uid))]
    assert stored == [first.SOPInstanceUID]
    assert partial_files() - before == set()  # the half-received data set left no temporary file
    # the listener goes on serving
    again = scu(CT_IMAGE).associate("127.0.0.1", node.port, ae_title="KERMA")
    assert again.send_c_store(with_meta(ct_image())).Status == 0
    again.release()
    assert count(node.engine) == 2


def test_storescu_killed_mid_batch(node: DicomNode, tmp_path: Path) -> None:
    """The sender dies (connection dropped, no A-ABORT): every acknowledged object is stored."""
    need("storescu")
    from tests.e2e.dicom_peers import storescu_args

    files = [write(ct_image(), tmp_path / f"ct{i:03d}.dcm") for i in range(60)]
    proc = subprocess.Popen(
        storescu_args(node.port, files, aet="DYING"),
        env=dcmtk_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    for line in proc.stdout:
        lines.append(line)
        if sum("Received Store Response" in x for x in lines) >= 10:
            proc.kill()
            break
    proc.wait()
    lines.extend(proc.stdout.read().splitlines(keepends=True))
    acked = [f for f, st in acknowledged("".join(lines)).items() if st == "Success"]
    assert 10 <= len(acked) < len(files)
    deadline = time.monotonic() + 10
    while node.active_associations() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert node.active_associations() == 0
    from pydicom import dcmread

    with node.engine.connect() as conn:
        stored = {r[0] for r in conn.execute(select(dose_objects.c.sop_instance_uid))}
    assert {str(dcmread(f, stop_before_pixels=True).SOPInstanceUID) for f in acked} <= stored
    assoc = scu(CT_IMAGE).associate("127.0.0.1", node.port, ae_title="KERMA")
    assert assoc.send_c_store(with_meta(ct_image())).Status == 0
    assoc.release()


@pytest.mark.parametrize("workers", [0, 2])
def test_fifty_associations_at_once(db_url: str, tmp_path: Path, workers: int) -> None:
    """storescu processes associate at the same moment, 2 objects each: all acknowledged and stored."""
    need("storescu")
    from tests.e2e.dicom_peers import storescu_args

    node, engine = start_node(db_url, ingest_workers=workers)
    # 50 on SQLite (one writer: the harder case); 20 on PostgreSQL, enough to show concurrent writes work
    n, per = (50, 2) if db_url.startswith("sqlite") else (20, 2)
    batches = [
        [write(ct_image(patient_id=f"P{i}"), tmp_path / f"s{i}_{k}.dcm") for k in range(per)]
        for i in range(n)
    ]
    try:
        procs = [
            subprocess.Popen(
                storescu_args(node.port, files, aet=f"SENDER{i}"),
                env=dcmtk_env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for i, files in enumerate(batches)
        ]
        outputs = [p.communicate(timeout=120)[0] for p in procs]
        acks: dict[str, str] = {}
        for out in outputs:
            acks.update(acknowledged(out))
        assert len(acks) == n * per, "\n".join(o for o in outputs if "Success" not in o)[:3000]
        assert set(acks.values()) == {"Success"}
        from pydicom import dcmread

        sent = {str(dcmread(f, stop_before_pixels=True).SOPInstanceUID) for files in batches for f in files}
        with engine.connect() as conn:
            stored = {r[0] for r in conn.execute(select(dose_objects.c.sop_instance_uid))}
        assert stored == sent
        assert node.status()["associations_total"] == n
    finally:
        node.stop(grace_s=1)
        engine.dispose()


# -- MPPS ---------------------------------------------------------------------------------------------


def n_create(assoc: object, uid: str, ds: Dataset) -> int:
    status, _ = assoc.send_n_create(ds, MPPS, uid)  # type: ignore[attr-defined]
    return int(status.Status)


def n_set(assoc: object, uid: str, ds: Dataset) -> int:
    status, _ = assoc.send_n_set(ds, MPPS, uid)  # type: ignore[attr-defined]
    return int(status.Status)


def test_mpps_completed_step_becomes_a_dose_object(node: DicomNode) -> None:
    study, step = str(generate_uid()), str(generate_uid())
    assoc = scu(MPPS, aet="FLUORO2").associate("127.0.0.1", node.port, ae_title="KERMA")
    assert n_create(assoc, step, mpps_create(study)) == 0
    assert n_create(assoc, step, mpps_create(study)) == 0x0111  # duplicate SOP instance
    progress = Dataset()
    progress.PerformedProcedureStepStatus = "IN PROGRESS"
    progress.TotalTimeOfFluoroscopy = 30
    assert n_set(assoc, step, progress) == 0
    assert count(node.engine) == 0  # nothing counts before COMPLETED
    assert n_set(assoc, step, mpps_completion(fluoro_s=95, dap_dgy_cm2="123.4", entrance_mgy="40")) == 0
    assert n_set(assoc, step, mpps_completion()) == 0x0110  # a final step may no longer be updated
    assert n_set(assoc, str(generate_uid()), mpps_completion()) == 0x0112  # no such instance
    assoc.release()
    with node.engine.connect() as conn:
        obj = conn.execute(select(dose_objects.c.source, dose_objects.c.sop_instance_uid)).one()
        st = conn.execute(
            select(
                studies.c.study_instance_uid,
                studies.c.total_dap_gy_cm2,
                studies.c.total_fluoro_time_s,
                studies.c.dose_source,
            )
        ).one()
        step_row = conn.execute(select(mpps_steps.c.status, mpps_steps.c.dose_outcome)).one()
    assert tuple(obj) == ("mpps", step)
    assert st.study_instance_uid == study
    assert st.total_dap_gy_cm2 == pytest.approx(12.34)  # 123.4 dGy·cm²
    assert st.total_fluoro_time_s == 95
    assert st.dose_source == "mpps"
    assert tuple(step_row) == ("COMPLETED", "stored")


def test_mpps_discontinued_step_stores_no_dose(node: DicomNode) -> None:
    study, step = str(generate_uid()), str(generate_uid())
    assoc = scu(MPPS).associate("127.0.0.1", node.port, ae_title="KERMA")
    assert n_create(assoc, step, mpps_create(study)) == 0
    assert n_set(assoc, step, mpps_completion(status="DISCONTINUED")) == 0
    assoc.release()
    assert count(node.engine) == 0
    with node.engine.connect() as conn:
        assert conn.execute(select(mpps_steps.c.status)).scalar_one() == "DISCONTINUED"


def test_mpps_and_rdsr_of_one_study_never_double_count(node: DicomNode, tmp_path: Path) -> None:
    """An RDSR and an MPPS of one CT study: totals come from the RDSR, the MPPS is outranked."""
    need("storescu")
    from kerma.simulate import simulate

    simulate(tmp_path / "sim", studies=12, seed=7)
    rdsr = next(p for p in sorted((tmp_path / "sim").rglob("SR_*.dcm")) if "_CT" in p.parent.name)
    from pydicom import dcmread

    study = str(dcmread(rdsr, stop_before_pixels=True).StudyInstanceUID)
    assert acknowledged((r := storescu(node.port, [rdsr])).stdout + r.stderr) == {str(rdsr): "Success"}
    with node.engine.connect() as conn:
        before = conn.execute(select(studies.c.total_dlp_mgy_cm, studies.c.event_count)).one()
    step = str(generate_uid())
    assoc = scu(MPPS, aet="CT_AE").associate("127.0.0.1", node.port, ae_title="KERMA")
    assert n_create(assoc, step, mpps_create(study, modality="CT")) == 0
    ct_items = [{"CTDIvol": 99.0}, {"CTDIvol": 98.0}]
    assert n_set(assoc, step, mpps_completion(fluoro_s=None, dap_dgy_cm2=None, ct_items=ct_items)) == 0
    assoc.release()
    with node.engine.connect() as conn:
        after = conn.execute(
            select(studies.c.total_dlp_mgy_cm, studies.c.event_count, studies.c.dose_source)
        ).one()
        status = dict(conn.execute(select(dose_objects.c.source, dose_objects.c.status)).all())  # type: ignore[arg-type]
    assert (after.total_dlp_mgy_cm, after.event_count) == tuple(before)
    assert after.dose_source == "rdsr"
    assert status == {"rdsr": "counted", "mpps": "outranked"}
