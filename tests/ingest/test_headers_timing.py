"""How long parse_header takes per corpus image, beside pydicom's header read of the same file.

Printed for the record (ARCHITECTURE.md target: header ingest in a few ms a file; pydicom reads a DX/MG
header in about 1 ms). Each repetition parses a freshly read dataset, so pydicom's lazy conversion of
the values the parser touches is counted as parse time, and reading is not.
"""

from __future__ import annotations

import time

import pydicom
import pytest

from kerma.ingest.headers import parse_header
from tests.conftest import corpus_path
from tests.ingest.test_headers_corpus import IMAGE_FILES

pytestmark = pytest.mark.corpus

REPEATS = 5


def test_parse_time_per_file(capsys: pytest.CaptureFixture[str]) -> None:
    read_total = parse_total = 0.0
    rows = []
    for name in IMAGE_FILES:
        path = corpus_path(name)
        read_s = parse_s = 0.0
        for _ in range(REPEATS):
            t0 = time.perf_counter()
            ds = pydicom.dcmread(path, stop_before_pixels=True)
            t1 = time.perf_counter()
            parse_header(ds)
            t2 = time.perf_counter()
            read_s += t1 - t0
            parse_s += t2 - t1
        rows.append((name, read_s / REPEATS * 1e3, parse_s / REPEATS * 1e3))
        read_total += read_s
        parse_total += parse_s
    runs = REPEATS * len(IMAGE_FILES)
    mean_read_ms, mean_parse_ms = read_total / runs * 1e3, parse_total / runs * 1e3
    with capsys.disabled():
        print(f"\nparse_header timing over {len(IMAGE_FILES)} corpus images x {REPEATS}:")
        for name, read_ms, parse_ms in rows:
            print(f"  {name:40s} dcmread {read_ms:7.3f} ms   parse_header {parse_ms:7.3f} ms")
        print(
            f"  mean per file: dcmread(stop_before_pixels=True) {mean_read_ms:.3f} ms, "
            f"parse_header {mean_parse_ms:.3f} ms (ratio {mean_parse_ms / mean_read_ms:.2f})"
        )
    # A loose ceiling against pathological regressions only; the figures above are the measurement.
    assert mean_parse_ms < 25.0
