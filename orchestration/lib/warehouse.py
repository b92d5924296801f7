"""The embedded DuckDB warehouse: connections and the views over the lake.

The lake's Parquet folders appear in the warehouse as views ``raw.<dataset>``,
``quarantine.<dataset>`` and ``ops.ingest_ledger``; dbt sources read those. A dataset with no
files yet gets an empty view with the contract's columns, so dbt can always build.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from .contract import DATASETS, RAW_TYPES, Dataset
from .lake import Lake
from .settings import Settings


def connection_config() -> dict[str, str | bool]:
    """Every connection of ours: no extension auto-install (nothing reaches the network),
    and the memory cap and spill folder of the settings (``LOYALTY_DUCKDB_MEMORY_LIMIT``)."""
    return {"autoinstall_known_extensions": False, "autoload_known_extensions": True,
            **Settings.from_env().duckdb_config}


@contextmanager
def connect(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A warehouse connection (see :func:`connection_config`)."""
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only, config=connection_config())
    try:
        yield con
    finally:
        con.close()


def sql_path(path: Path) -> str:
    # View bodies cannot take bound parameters; the path is ours, quotes are escaped.
    return "'" + str(path).replace("'", "''") + "'"


def sql_ident(name: str) -> str:
    """A column, table or schema name quoted for SQL (double quotes inside are doubled)."""
    return '"' + name.replace('"', '""') + '"'


def _has_parquet(folder: Path) -> bool:
    return folder.is_dir() and any(folder.glob("*/*.parquet"))


def _empty_select(columns: list[tuple[str, str]]) -> str:
    cols = ", ".join(f'cast(null as {t}) as "{n}"' for n, t in columns)
    return f"select {cols} where false"


def _raw_columns(dataset: Dataset) -> list[tuple[str, str]]:
    cols = [(c.name, RAW_TYPES[c.type]) for c in dataset.columns]
    cols += [("_extra", "VARCHAR"), ("_source_file", "VARCHAR"), ("_source_row", "BIGINT")]
    if dataset.daily:
        cols.append(("business_date", "DATE"))
    return cols


def _glob(folder: Path, daily: bool) -> str:
    return sql_path(folder / ("business_date=*" if daily else "current") / "*.parquet")


def ensure_lake_views(con: duckdb.DuckDBPyConnection, lake: Lake) -> None:
    """(Re)create the ``raw``, ``quarantine`` and ``ops`` views over the lake."""
    for schema in ("raw", "quarantine", "ops"):
        con.execute(f"create schema if not exists {schema}")
    for ds in DATASETS.values():
        hive = ("hive_partitioning = true, hive_types = {'business_date': date}" if ds.daily
                else "hive_partitioning = false")
        raw = lake.raw(ds.name)
        body = (f"select * from read_parquet({_glob(raw, ds.daily)}, {hive}, union_by_name = true)"
                if _has_parquet(raw) else _empty_select(_raw_columns(ds)))
        con.execute(f'create or replace view raw."{ds.name}" as {body}')
        q = lake.quarantine(ds.name)
        q_cols = [("source_file", "VARCHAR"), ("source_row", "BIGINT"),
                  ("reasons", "VARCHAR[]"), ("record", "VARCHAR")]
        if ds.daily:
            q_cols.append(("business_date", "DATE"))
        body = (f"select * from read_parquet({_glob(q, ds.daily)}, {hive}, union_by_name = true)"
                if _has_parquet(q) else _empty_select(q_cols))
        con.execute(f'create or replace view quarantine."{ds.name}" as {body}')
    ledger_root = lake.root / "ops" / "ingest_ledger"
    if ledger_root.is_dir() and any(ledger_root.glob("*/*.parquet")):
        body = (f"select * from read_parquet({sql_path(ledger_root / '*' / '*.parquet')}, "
                "hive_partitioning = false, union_by_name = true)")
    else:
        body = _empty_select([
            ("dataset", "VARCHAR"), ("business_date", "DATE"), ("path", "VARCHAR"),
            ("sha256", "VARCHAR"), ("size_bytes", "BIGINT"), ("changed_ns", "BIGINT"),
            ("rows_read", "BIGINT"),
            ("rows_loaded", "BIGINT"), ("rows_quarantined", "BIGINT"), ("status", "VARCHAR"),
            ("reason", "VARCHAR"), ("drift_columns", "VARCHAR[]"),
            ("loaded_at", "TIMESTAMPTZ"), ("is_current", "BOOLEAN"),
        ])
    con.execute(f"create or replace view ops.ingest_ledger as {body}")


def table_counts(con: duckdb.DuckDBPyConnection, schemas: tuple[str, ...]) -> dict[str, int]:
    """Row counts of every table and view in ``schemas`` (``schema.table`` → rows). Views
    count too: after a Spark build the marts are DuckDB views over Spark's Parquet."""
    rows = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema in (select unnest($schemas)) "
        "and table_catalog = current_database() order by 1, 2",
        {"schemas": list(schemas)},
    ).fetchall()
    return {f"{s}.{t}": con.execute(f'select count(*) from "{s}"."{t}"').fetchone()[0]
            for s, t in rows}
