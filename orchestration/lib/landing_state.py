"""Which lake partitions are behind their landing files.

Shared by the landing sensor and ``loyalty run``: a partition is behind when the set of
(file, sha256) in the landing folder differs from what the ingest ledger says it was built
from, or when it was never built.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from .contract import Dataset
from .ingest import is_unchanged
from .lake import Lake
from .landing import LandingFile, discover


def file_signatures(landing_dir: Path, datasets: Iterable[Dataset]) -> dict[str, str]:
    """A cheap fingerprint (size and modification time) of every landing file."""
    out = {}
    for ds in datasets:
        for f in discover(landing_dir, ds):
            st = f.path.stat()
            out[f.rel_path] = f"{st.st_size}:{st.st_mtime_ns}"
    return out


def stale_partitions(landing_dir: Path, lake: Lake, datasets: Iterable[Dataset],
                     only: set[str] | None = None) -> dict[dt.date | None, set[str]]:
    """Business day (None for snapshots) → names of the datasets whose partition is behind.

    ``only`` limits the look to partitions holding one of these landing files (relative
    paths), so that a sensor hashes what changed, not the whole landing folder.
    """
    stale: dict[dt.date | None, set[str]] = defaultdict(set)
    for ds in datasets:
        by_day: dict[dt.date | None, list[LandingFile]] = defaultdict(list)
        for f in discover(landing_dir, ds):
            if f.name_error is None:
                by_day[f.business_date].append(f)
        for day, files in by_day.items():
            if only is not None and not any(f.rel_path in only for f in files):
                continue
            if not is_unchanged(ds, files, lake, day):
                stale[day].add(ds.name)
    return dict(stale)


def contiguous_ranges(days: Iterable[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Sorted days folded into (first, last) runs of consecutive days."""
    ranges: list[tuple[dt.date, dt.date]] = []
    for day in sorted(set(days)):
        if ranges and day - ranges[-1][1] == dt.timedelta(days=1):
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges
