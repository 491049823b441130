"""tools/benchmarks/bench_data.py end to end on the packaged photos: the table
it prints is consistent with itself (ratio = ms / reference ms, samples/s =
1000 / ms, workers = ceil(GPU rate / samples/s)). Speed itself is the
benchmark's business, not a test's."""
import math
import os.path as osp
import re
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.mark.slow
def test_bench_data_table_is_consistent():
    out = subprocess.run(
        [sys.executable, 'tools/benchmarks/bench_data.py', '--rounds', '1',
         '--warmup', '0', '--gpu-rate', '500'],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=True).stdout
    rows = {}
    for line in out.splitlines():
        m = re.match(r'^(mmselfsup mocov2|ours [a-z]+ \([^)]*\))\s+([\d.]+)\s+'
                     r'([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)$', line)
        if m:
            rows[m.group(1)] = [float(x) for x in m.groups()[1:]]
    assert set(rows) == {'mmselfsup mocov2', 'ours densecl (shipped)',
                         'ours densecl (per-view)'}, out
    ref_ms = rows['mmselfsup mocov2'][0]
    for name, (ms, _median, _wall, ratio, rate, workers) in rows.items():
        assert ratio == pytest.approx(ms / ref_ms, abs=1e-3), name
        assert rate == pytest.approx(1000.0 / ms, rel=0.01), name
        assert workers == math.ceil(500 / rate - 1e-9) or \
            workers == math.ceil(500 * ms / 1000.0), name
    assert rows['mmselfsup mocov2'][3] == 1.0
