"""Hand memory the process holds but no longer uses back to the operating system.

A run executes its steps in one process (`loyalty run`, and the schedule's runs:
orchestration/defs/automation.py), and dbt's DuckDB runs beside it in a subprocess. After
ingest and the Great Expectations suites of a year at 10M till lines the process held
2.4 GiB of which it used 0.6 (bench/RESULTS.md, 2026-12-01): cyclic garbage the collector
had not reached yet, Arrow's allocator keeping freed pages for reuse, and glibc keeping
freed heap. The steps that start a memory-capped DuckDB (the dbt steps, member scoring,
publishing) hand it back first, so that the cap is what they add to the process, not what
earlier steps left.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pyarrow as pa


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
            return "memory handed back (the resident size is not readable here)"
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


@cache
def _malloc_trim():
    """glibc's malloc_trim, or None on another C library (musl, macOS)."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        return libc.malloc_trim
    except (OSError, AttributeError, TypeError):
        return None


def release_unused_memory() -> Released:
    """Collect cyclic garbage, then let Arrow's pool and glibc return their free pages."""
    before = resident_bytes()
    gc.collect()
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
    return Released(before, resident_bytes())
