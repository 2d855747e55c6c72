"""Shared test fixtures: where the shared corpus is, and temporary databases."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "dicom"


def corpus_path(name: str | None = None) -> Path:
    """Path of the shared corpus (or one file in it); skips the test when the corpus is absent."""
    if not CORPUS.is_dir():
        pytest.skip("shared corpus not found at ../shared/corpus/dicom (a fresh clone has none)")
    path = CORPUS / name if name else CORPUS
    if not path.exists():
        pytest.skip(f"corpus file {name} not found")
    return path


@pytest.fixture
def corpus() -> Path:
    """The shared corpus folder."""
    return corpus_path()


# -- databases: every store test runs on SQLite and on a real PostgreSQL server -----------------------

import os  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402

from sqlalchemy import Engine, create_engine, text  # noqa: E402

PG_ADMIN_URL = os.environ.get("KERMA_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_url(database: str) -> str:
    base, _, _ = PG_ADMIN_URL.rpartition("/")
    return f"{base}/{database}"


def _sqlalchemy_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def postgres_available() -> bool:
    """True when the test PostgreSQL server answers."""
    try:
        eng = create_engine(_sqlalchemy_url(PG_ADMIN_URL))
        with eng.connect() as conn:
            conn.execute(text("select 1"))
        eng.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def _pg_ok() -> bool:
    ok = postgres_available()
    if not ok and os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL} (CI must run the store tests on it)")
    return ok


def make_pg_database() -> str:
    """Create an empty PostgreSQL database for one test; returns its URL."""
    name = "kerma_t_" + uuid.uuid4().hex[:12]
    admin = create_engine(_sqlalchemy_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return _pg_url(name)


def drop_pg_database(url: str) -> None:
    """Drop a test database (terminating leftover connections)."""
    name = url.rsplit("/", 1)[1]
    admin = create_engine(_sqlalchemy_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, _pg_ok: bool) -> Iterator[str]:
    """A fresh, empty database URL: SQLite file, then a real PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'kerma.db'}"
        return
    if not _pg_ok:
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}")
    url = make_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated store on ``db_url`` (SQLite, then PostgreSQL), disposed after the test."""
    from kerma.store import open_store

    eng = open_store(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite database URL."""
    return f"sqlite:///{tmp_path / 'kerma.db'}"


@pytest.fixture(autouse=True)
def _site_secret(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests use a fixed site secret and a temporary quarantine; nothing lands in the working tree."""
    monkeypatch.setenv("KERMA_SITE_SECRET", "test-site-secret-0123456789abcdef")
    monkeypatch.setenv("KERMA_QUARANTINE", str(tmp_path / "quarantine"))
    monkeypatch.delenv("KERMA_DATABASE_URL", raising=False)
