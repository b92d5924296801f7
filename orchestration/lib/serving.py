"""Write-audit-publish of the serving file BI tools open.

BI tools never open the pipeline's warehouse: DuckDB allows one writer, and a reader's lock
blocks it. Instead, the published schemas are copied into a *new* DuckDB file written in a
storage format DuckDB 1.x drivers can read (most BI drivers embed 1.x), audited (every table
re-read from the new file and its row count compared with the warehouse), and only then
renamed over ``loyalty.duckdb``. A client holding the old file open keeps reading the old
inode and sees the new data after reconnecting; a run killed halfway leaves only a
temporary file behind, which the next publication removes.

The same tables are written as Parquet, one folder per table, swapped in as a whole.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .lake import swap_in
from .warehouse import connection_config, sql_path

# What BI tools see. Staging, raw, quarantine and ops never leave the warehouse.
SERVING_SCHEMAS = ("marts", "scores", "outputs", "reference")
SERVING_FILE = "loyalty.duckdb"
PARQUET_DIR = "parquet"
# The newest storage format every DuckDB 1.5+ client reads (a 2.0 default file is not).
STORAGE_VERSION = "v1.5.0"
META_SCHEMA = "serving_meta"


class AuditError(RuntimeError):
    """The new serving file does not hold what the warehouse holds: nothing was published."""


@dataclass(frozen=True)
class Publication:
    path: Path
    parquet_dir: Path
    tables: dict[str, int]          # "schema.table" -> rows
    size_bytes: int
    published_at: dt.datetime


def serving_tables(con: duckdb.DuckDBPyConnection,
                   schemas: tuple[str, ...] = SERVING_SCHEMAS) -> list[tuple[str, str]]:
    """(schema, table) of every table and view to publish, in a stable order."""
    placeholders = ", ".join("?" for _ in schemas)
    return [tuple(r) for r in con.execute(
        "select table_schema, table_name from information_schema.tables "
        f"where table_catalog = current_database() and table_schema in ({placeholders}) "
        "order by 1, 2", list(schemas)).fetchall()]


def remove_leftovers(serving_dir: Path) -> list[Path]:
    """Temporary files of publications that never finished (a killed run)."""
    leftovers = sorted(serving_dir.glob(f".{SERVING_FILE}.*.tmp*"))
    leftovers += sorted(serving_dir.glob(f".{PARQUET_DIR}.*.tmp"))
    for path in leftovers:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    return leftovers


def publish(warehouse: Path, serving_dir: Path, *, run_id: str,
            dictionary: list[tuple[str, str, str, str]] | None = None) -> Publication:
    """Copy the serving schemas of ``warehouse`` into a new file, audit it, then atomically
    replace ``serving_dir/loyalty.duckdb`` and the Parquet folders.

    The warehouse is attached read-only under its own catalog name (its views name it).
    ``dictionary``: rows (schema, table, column, description) stored in
    ``serving_meta.data_dictionary`` so BI users can look columns up where they query.
    """
    serving_dir.mkdir(parents=True, exist_ok=True)
    remove_leftovers(serving_dir)
    token = uuid.uuid4().hex
    new_file = serving_dir / f".{SERVING_FILE}.{token}.tmp"
    new_parquet = serving_dir / f".{PARQUET_DIR}.{token}.tmp"
    published_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    # A mart's row order means nothing (BI tools sort): copies that need not keep it ran 7 %
    # faster at 10M lines (bench/RESULTS.md, 2026-12-02), for a file 5 % bigger.
    config = {**connection_config(), "preserve_insertion_order": False}
    with duckdb.connect(config=config) as con:
        con.execute(f"attach {sql_path(warehouse)} as \"{warehouse.stem}\" (read_only)")
        con.execute(f'use "{warehouse.stem}"')
        tables = serving_tables(con)
        if not tables:
            raise AuditError("the warehouse has no marts, scores or outputs to publish yet")
        counts = _write(con, new_file, new_parquet, tables, run_id, published_at,
                        dictionary or [])
    _audit(new_file, new_parquet, counts)
    _fsync(new_file)
    target = serving_dir / SERVING_FILE
    os.replace(new_file, target)
    swap_in(new_parquet, serving_dir / PARQUET_DIR)
    return Publication(path=target, parquet_dir=serving_dir / PARQUET_DIR, tables=counts,
                       size_bytes=target.stat().st_size, published_at=published_at)


def _write(con: duckdb.DuckDBPyConnection, new_file: Path, new_parquet: Path,
           tables: list[tuple[str, str]], run_id: str, published_at: dt.datetime,
           dictionary: list[tuple[str, str, str, str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    con.execute(f"attach {sql_path(new_file)} as serving (storage_version '{STORAGE_VERSION}')")
    try:
        for schema in sorted({s for s, _ in tables}) + [META_SCHEMA]:
            con.execute(f"create schema serving.{schema}")
        for schema, table in tables:
            name = f'{schema}."{table}"'
            con.execute(f"create table serving.{name} as select * from {name}")
            counts[f"{schema}.{table}"] = con.execute(
                f"select count(*) from serving.{name}").fetchone()[0]
            folder = new_parquet / schema / table
            folder.mkdir(parents=True)
            con.execute(f"copy (select * from serving.{name}) to "
                        f"{sql_path(folder / 'part-0.parquet')} (format parquet)")
        con.execute(f"create table serving.{META_SCHEMA}.publication as select "
                    "cast($run_id as varchar) as run_id, cast($at as timestamp) as published_at, "
                    "cast($version as varchar) as storage_version",
                    {"run_id": run_id, "at": published_at.replace(tzinfo=None),
                     "version": STORAGE_VERSION})
        con.execute(f"create table serving.{META_SCHEMA}.tables "
                    "(table_schema varchar, table_name varchar, row_count bigint)")
        con.executemany(f"insert into serving.{META_SCHEMA}.tables values (?, ?, ?)",
                        [(*k.split(".", 1), n) for k, n in counts.items()])
        con.execute(f"create table serving.{META_SCHEMA}.data_dictionary (table_schema varchar, "
                    "table_name varchar, column_name varchar, data_type varchar, "
                    "description varchar)")
        described = {(s, t, c): d for s, t, c, d in dictionary}
        columns = con.execute(
            "select table_schema, table_name, column_name, data_type "
            "from information_schema.columns where table_catalog = 'serving' "
            f"and table_schema != '{META_SCHEMA}' order by 1, 2, ordinal_position").fetchall()
        con.executemany(f"insert into serving.{META_SCHEMA}.data_dictionary values "
                        "(?, ?, ?, ?, ?)",
                        [(s, t, c, typ, described.get((s, t, c))) for s, t, c, typ in columns])
        con.execute("checkpoint serving")
    finally:
        con.execute("detach serving")
    return counts


def _audit(new_file: Path, new_parquet: Path, counts: dict[str, int]) -> None:
    """Re-open what was written, as a reader would, and compare it with the warehouse."""
    problems = []
    with duckdb.connect(str(new_file), read_only=True) as reader:
        for key, expected in counts.items():
            schema, table = key.split(".", 1)
            got = reader.execute(f'select count(*) from {schema}."{table}"').fetchone()[0]
            files = sql_path(new_parquet / schema / table / "*.parquet")
            parquet = reader.execute(f"select count(*) from read_parquet({files})").fetchone()[0]
            if got != expected or parquet != expected:
                problems.append(f"{key}: warehouse {expected}, file {got}, parquet {parquet}")
    if problems:
        raise AuditError("the new serving file does not match the warehouse: "
                         + "; ".join(problems))


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
