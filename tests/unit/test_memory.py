"""release_unused_memory hands each kind of retained memory back: measured on a fresh
process's resident size, one kind per process."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from orchestration.lib.memory import MALLOC_TRIM, Released, resident_bytes

ROOT = Path(__file__).resolve().parents[2]
MiB = 2**20

pytestmark = pytest.mark.skipif(resident_bytes() is None, reason="needs /proc/self/status")

# Each script leaves memory the process no longer uses and prints the freed bytes.
SCENARIOS = {
    # a 300 MiB array only reachable from a reference cycle the collector has not run on
    "cyclic garbage": """
        import gc
        import numpy as np
        gc.disable()
        class Holder: pass
        holder = Holder()
        holder.me, holder.big = holder, np.ones(300 * 2**20 // 8)
        del holder
    """,
    # freed Arrow buffers (1,000 x 200 KB from pyarrow.compute) kept by Arrow's allocator
    "arrow pool": """
        import numpy as np, pyarrow as pa, pyarrow.compute as pc
        base = pa.array(np.arange(25_000, dtype=np.int64))
        buffers = [pc.add(base, i) for i in range(1000)]
        del buffers
    """,
    # 64 KiB blocks from glibc's heap, every other one freed: holes free() keeps
    "heap holes": """
        blocks = [bytes(64 * 1024) for _ in range(4000)]
        kept = blocks[1::2]
        del blocks
    """,
}
EXPECTED_MIB = {"cyclic garbage": 250, "arrow pool": 100, "heap holes": 50}


def freed_mib(setup: str) -> float:
    script = textwrap.dedent(setup) + textwrap.dedent("""
        from orchestration.lib.memory import release_unused_memory
        print(release_unused_memory().freed_bytes)
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    return int(out.stdout.strip()) / MiB


@pytest.mark.parametrize("kind", SCENARIOS)
def test_hands_back_what_the_process_no_longer_uses(kind):
    if kind == "heap holes" and MALLOC_TRIM is None:
        pytest.skip("not glibc: no malloc_trim")
    assert freed_mib(SCENARIOS[kind]) >= EXPECTED_MIB[kind]


def test_describes_what_it_freed():
    assert Released(3 * 2**30, 2**30).describe() == (
        "handed 2,048 MiB back to the system: resident 3,072 → 1,024 MiB")
    assert Released(2**30, 2**30 + 2**20).describe() == (
        "no memory to hand back: resident 1,025 MiB")
    assert Released(None, None).freed_bytes is None
