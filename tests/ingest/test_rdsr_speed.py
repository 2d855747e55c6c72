"""Parsing speed against the baseline the architecture sets: pydicom's bare read and full walk.

Run with ``pytest -s -m slow tests/ingest/test_rdsr_speed.py`` to see the figures. The target for the
whole ingest (parse, normalise, store) is within 2x of the baseline; parsing alone must stay well inside.
"""

from __future__ import annotations

import contextlib
import time
from io import BytesIO

import pydicom
import pytest

from kerma.domain.model import NotDoseRelevant
from kerma.ingest.rdsr import parse_rdsr
from tests.conftest import corpus_path
from tests.ingest.test_rdsr_corpus import DOSE_SRS

pytestmark = [pytest.mark.corpus, pytest.mark.slow]


def walk(ds: pydicom.Dataset) -> None:
    """Touch every element's value, recursively: what a generic reader of the SR tree does."""
    for elem in ds:
        value = elem.value
        if elem.VR == "SQ":
            for item in value:
                walk(item)


def test_parse_time_against_pydicom_read_and_walk() -> None:
    blobs = [corpus_path(name).read_bytes() for name in sorted(DOSE_SRS)]

    start = time.perf_counter()
    for blob in blobs:
        walk(pydicom.dcmread(BytesIO(blob)))
    baseline = time.perf_counter() - start

    start = time.perf_counter()
    for blob in blobs:
        with contextlib.suppress(NotDoseRelevant):  # the corpus's one private summary is parsed, none raise
            parse_rdsr(pydicom.dcmread(BytesIO(blob)))
    ours = time.perf_counter() - start

    ratio = ours / baseline
    print(
        f"\n{len(blobs)} dose SRs: pydicom read+walk {baseline:.2f} s, read+parse_rdsr {ours:.2f} s, "
        f"ratio {ratio:.2f}"
    )
    assert ratio < 2.0
