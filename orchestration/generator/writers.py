"""Write the simulated datasets as landing files, in the formats the contract allows."""

from __future__ import annotations

import gzip
import os
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

# dataset name -> (landing folder relative to the landing dir, file family)
DAILY_PATHS = {
    "pos_transactions": ("pos/transactions", "csv"),
    "crm_members": ("crm/members", "csv"),
    "crm_points": ("crm/points", "csv"),
    "online_orders": ("online/orders", "json"),
    "online_events": ("online/events", "json"),
    "survey_responses": ("survey/responses", "csv"),
}
SNAPSHOT_PATHS = {"pos_stores": "pos/stores", "pos_products": "pos/products"}
_CSV_ROTATION = ("csv", "csv.gz", "parquet")
_JSON_ROTATION = ("jsonl", "jsonl.gz")


def format_for_day(chosen: str, family: str, day_index: int) -> str:
    """The file format of one day: the chosen one, or a rotation when ``mixed``."""
    if chosen != "mixed":
        return chosen
    rotation = _CSV_ROTATION if family == "csv" else _JSON_ROTATION
    return rotation[day_index % len(rotation)]


def write_table(table: pa.Table, path: Path, fmt: str) -> None:
    """Write one CSV-family file (``csv``, ``csv.gz`` or ``parquet``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        pq.write_table(table, path)
    elif fmt == "csv":
        pacsv.write_csv(table, path)
    elif fmt == "csv.gz":
        # mtime=0 keeps the bytes identical from run to run
        with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
            pacsv.write_csv(table, gz)
    else:
        raise ValueError(f"not a CSV-family format: {fmt}")


def _gzip_file(src: Path, dest: Path) -> None:
    with open(src, "rb") as fin, open(dest, "wb") as raw, gzip.GzipFile(
        fileobj=raw, mode="wb", mtime=0
    ) as gz:
        shutil.copyfileobj(fin, gz)
    src.unlink()


def as_table(frame: pd.DataFrame | pa.Table) -> pa.Table:
    if isinstance(frame, pa.Table):
        return frame
    return pa.Table.from_pandas(frame, preserve_index=False)


def business_days(frame: pd.DataFrame | pa.Table) -> np.ndarray:
    col = frame["business_date"]
    values = col.to_numpy() if isinstance(col, pd.Series) else col.to_numpy()
    return values.astype("datetime64[D]")


def write_daily_csv(frame: pd.DataFrame | pa.Table, folder: Path, chosen: str,
                    first_day: np.datetime64, tick: Callable[[], None],
                    suffix: str = "") -> list[Path]:
    """One file per business day: ``<folder>/YYYY-MM-DD<suffix>.<ext>``."""
    table = as_table(frame)
    days = business_days(table)
    if days.size and (np.diff(days.astype("int64")) < 0).any():
        order = np.argsort(days, kind="stable")
        table, days = table.take(order), days[order]
    table = table.drop_columns(["business_date"])
    uniq, starts, counts = np.unique(days, return_index=True, return_counts=True)
    folder.mkdir(parents=True, exist_ok=True)
    jobs = []
    for day, start, count in zip(uniq, starts, counts, strict=True):
        fmt = format_for_day(chosen, "csv", int((day - first_day).astype(int)))
        jobs.append((table.slice(int(start), int(count)), folder / f"{day}{suffix}.{fmt}",
                     fmt))
    # Arrow's writers release the GIL: one thread per core writes days side by side
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for _ in pool.map(lambda job: write_table(*job), jobs):
            tick()
    return [path for _, path, _ in jobs]


def write_daily_jsonl(df: pd.DataFrame, folder: Path, chosen: str, first_day: np.datetime64,
                      tick: Callable[[], None], nested: pd.DataFrame | None = None,
                      suffix: str = "") -> list[Path]:
    """One JSON-lines file per business day (``YYYY-MM-DD<suffix>.<ext>``), written by
    DuckDB in a single partitioned COPY.

    ``nested``, when given, holds order items that become a list of objects per order.
    """
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        con.register("rows_df", df)
        source = "select * from rows_df"
        if nested is not None:
            con.register("items_df", nested)
            source = """
                with items as (
                    select order_id,
                           list(struct_pack(product_id, quantity, unit_price, discount_amount))
                               as items
                    from items_df group by order_id
                )
                select r.* exclude (business_date), i.items,
                       strftime(r.business_date, '%Y-%m-%d') as business_date
                from rows_df r join items i using (order_id)
                order by r.business_date, r.status_updated_at, r.order_id
            """
        else:
            source = """select * exclude (business_date),
                               strftime(business_date, '%Y-%m-%d') as business_date
                        from rows_df"""
        with tempfile.TemporaryDirectory(dir=folder.parent) as tmp:
            # COPY's target is a path, not a value that can be bound as a parameter
            target = str(Path(tmp) / "out").replace("'", "''")
            con.execute(f"copy ({source}) to '{target}' (format json, "
                        "partition_by (business_date), write_partition_columns false)")
            written = []
            for part in sorted(Path(tmp, "out").iterdir()):
                day = part.name.split("=", 1)[1]
                (data_file,) = list(part.iterdir())
                index = int((np.datetime64(day) - first_day).astype(int))
                fmt = format_for_day(chosen, "json", index)
                dest = folder / f"{day}{suffix}.{fmt}"
                if fmt == "jsonl.gz":
                    _gzip_file(data_file, dest)
                else:
                    os.replace(data_file, dest)
                written.append(dest)
                tick()
    finally:
        con.close()
    return written
