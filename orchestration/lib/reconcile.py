"""Nothing lost: every row read is either loaded or quarantined, file by file."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow.parquet as pq

from .contract import Dataset
from .lake import Lake, partition_name


def reconcile(lake: Lake, dataset: Dataset, days: list[dt.date | None]) -> tuple[int, list[str]]:
    """Check the ledger against itself and against the lake for ``days``.

    Returns (files checked, problems). A problem names the file and what does not add up:
    rows_read ≠ rows_loaded + rows_quarantined, or the rows actually in ``raw``/``quarantine``
    differ from what the ledger says was written.
    """
    problems: list[str] = []
    checked = 0
    con = duckdb.connect()
    try:
        for day in days:
            name = partition_name(day)
            ledger = lake.ledger(dataset.name) / f"{name}.parquet"
            if not ledger.exists():
                continue
            rows = [r for r in pq.read_table(ledger).to_pylist() if r["is_current"]]
            actual = {}
            for area, col in ((lake.raw(dataset.name), "_source_file"),
                              (lake.quarantine(dataset.name), "source_file")):
                folder = area / name
                if folder.exists():
                    for path, n in con.execute(
                        f'select "{col}", count(*) from read_parquet($p) group by 1',
                        {"p": str(folder / "*.parquet")},
                    ).fetchall():
                        actual[(area.parent.name, path)] = n
            for r in rows:
                checked += 1
                where = f"{r['path']} ({day or 'snapshot'})"
                if r["rows_read"] != r["rows_loaded"] + r["rows_quarantined"]:
                    problems.append(f"{where}: read {r['rows_read']} but loaded "
                                    f"{r['rows_loaded']} + quarantined {r['rows_quarantined']}")
                in_raw = actual.get(("raw", r["path"]), 0)
                in_q = actual.get(("quarantine", r["path"]), 0)
                if in_raw != r["rows_loaded"]:
                    problems.append(f"{where}: ledger says {r['rows_loaded']} loaded, "
                                    f"raw holds {in_raw}")
                if in_q != r["rows_quarantined"]:
                    problems.append(f"{where}: ledger says {r['rows_quarantined']} quarantined, "
                                    f"quarantine holds {in_q}")
    finally:
        con.close()
    return checked, problems
