"""Hand memory the process holds but no longer uses back to the operating system.

A run executes its steps in one process (`loyalty run`, and the schedule's runs:
orchestration/defs/automation.py), and dbt's DuckDB runs beside it in a subprocess. After
ingest and the Great Expectations suites of a year at 10M till lines the process held
2.4 GiB of which it used 0.6 (bench/RESULTS.md, 2026-12-01): cyclic garbage the collector
had not reached yet, Arrow's allocator keeping freed pages for reuse, and glibc keeping
freed heap. The heaviest steps, which start a memory-capped DuckDB over much data (the dbt
steps, member scoring, publishing), hand it back first, so that the cap is what they add
to the process, not what earlier steps left.
"""

from __future__ import annotations

import ctypes
import gc
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from .lake import LIBC

# glibc's malloc_trim(pad): returns free heap pages to the system; None on another C
# library (musl, macOS), where only the collector and Arrow's pool release memory
MALLOC_TRIM = getattr(LIBC, "malloc_trim", None)
if MALLOC_TRIM is not None:
    MALLOC_TRIM.argtypes = [ctypes.c_size_t]
    MALLOC_TRIM.restype = ctypes.c_int


@dataclass(frozen=True)
class Released:
    before_bytes: int | None   # resident set size before, None where /proc is not mounted
    after_bytes: int | None

    @property
    def freed_bytes(self) -> int | None:
        if self.before_bytes is None or self.after_bytes is None:
            return None
        return self.before_bytes - self.after_bytes

    def describe(self) -> str:
        if self.freed_bytes is None:
            return "unused memory released (the resident size is not readable here)"
        if self.freed_bytes <= 0:
            return f"no memory to hand back: resident {self.after_bytes / 2**20:,.0f} MiB"
        return (f"handed {self.freed_bytes / 2**20:,.0f} MiB back to the system: resident "
                f"{self.before_bytes / 2**20:,.0f} → {self.after_bytes / 2**20:,.0f} MiB")


def resident_bytes() -> int | None:
    """This process's resident set size (Linux), None elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def release_unused_memory() -> Released:
    """Collect cyclic garbage, then let Arrow's pool and glibc return their free pages."""
    before = resident_bytes()
    gc.collect()
    pa.default_memory_pool().release_unused()
    if MALLOC_TRIM is not None:
        MALLOC_TRIM(0)
    return Released(before, resident_bytes())
