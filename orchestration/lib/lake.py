"""The Parquet lake: ``raw/``, ``quarantine/`` and ``ops/`` under ``LOYALTY_LAKE``.

A partition is a folder (``raw/<dataset>/business_date=YYYY-MM-DD/``) written elsewhere and
swapped in whole, so a reader sees the old day or the new day, never half of one. On Linux
the swap is one ``renameat2(RENAME_EXCHANGE)`` system call; elsewhere two renames.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import datetime as dt
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
# the C library, for what Python's standard library lacks (also orchestration/lib/memory.py)
LIBC = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
_renameat2 = getattr(LIBC, "renameat2", None)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths; False when the platform cannot."""
    if _renameat2 is None:
        return False
    rc = _renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc != 0:
        err = ctypes.get_errno()
        if err in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: filesystem cannot exchange
            return False
        raise OSError(err, os.strerror(err), str(a))
    return True


def swap_in(staged: Path, target: Path) -> None:
    """Replace folder ``target`` by ``staged`` so that readers never see a partial state."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        os.rename(staged, target)
        return
    if _exchange(staged, target):
        shutil.rmtree(staged)  # now holds the old version
        return
    old = _aside(target)
    os.rename(target, old)
    os.rename(staged, target)
    shutil.rmtree(old)


def _aside(target: Path) -> Path:
    """A hidden name beside ``target`` for its old version while it is removed: outside
    the ``business_date=*`` globs readers use."""
    return target.with_name(f".old-{target.name}-{uuid.uuid4().hex}")


def partition_name(business_date: dt.date | None) -> str:
    return f"business_date={business_date.isoformat()}" if business_date else "current"


@dataclass(frozen=True)
class Lake:
    root: Path

    def raw(self, dataset: str) -> Path:
        return self.root / "raw" / dataset

    def quarantine(self, dataset: str) -> Path:
        return self.root / "quarantine" / dataset

    def ledger(self, dataset: str) -> Path:
        return self.root / "ops" / "ingest_ledger" / dataset

    def rejected_files(self, dataset: str) -> Path:
        return self.root / "quarantine" / "_files" / dataset

    def staging_dir(self, dataset: str) -> Path:
        path = self.root / ".staging" / dataset / uuid.uuid4().hex
        path.mkdir(parents=True)
        return path

    def write_partition(self, area: Path, business_date: dt.date | None,
                        table: pa.Table, staged_root: Path) -> Path:
        """Write ``table`` as the partition's only file and swap the folder in."""
        name = partition_name(business_date)
        staged = staged_root / area.name / name
        staged.mkdir(parents=True)
        pq.write_table(table, staged / "data.parquet", compression="zstd")
        target = area / name
        swap_in(staged, target)
        return target

    def swap_in_file(self, area: Path, business_date: dt.date | None, file: Path,
                     staged_root: Path) -> Path:
        """Make an already written Parquet file the partition's only file."""
        name = partition_name(business_date)
        staged = staged_root / area.name / name
        staged.mkdir(parents=True)
        os.replace(file, staged / "data.parquet")
        target = area / name
        swap_in(staged, target)
        return target

    def drop_partition(self, area: Path, business_date: dt.date | None) -> None:
        """Remove the partition's folder, if there is one, in one rename: a reader sees
        the old day or none."""
        target = area / partition_name(business_date)
        old = _aside(target)
        try:
            os.rename(target, old)
        except FileNotFoundError:
            return
        shutil.rmtree(old)

    @staticmethod
    def write_file_atomically(table: pa.Table, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        pq.write_table(table, tmp)
        os.replace(tmp, path)
