"""What the Python side does when dbt builds on Spark (``LOYALTY_ENGINE=spark``).

Before the build: dbt registers ``raw.<dataset>`` on Spark as views over the lake folders
(``dbt_project/macros/lake_sources.sql``), but Spark cannot read a folder that does not exist
yet, and only Python knows the contract. So a dataset with no files yet is passed to dbt as
the var ``missing_lake_datasets`` with its columns, and becomes an empty view, as
:func:`orchestration.lib.warehouse.ensure_lake_views` does on DuckDB.

After the build: scoring, outputs and publishing read the warehouse through DuckDB SQL. The
tables Spark wrote are Parquet folders under ``<LOYALTY_SPARK_DIR>/warehouse/<schema>.db/``;
:func:`expose_spark_tables` makes each one a DuckDB view of the same name, so the Python
assets read whichever engine built the models without a line of change.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from .contract import DATASETS, RAW_TYPES
from .lake import Lake
from .warehouse import _has_parquet, sql_path

# Spark SQL type of each raw (DuckDB) lake type.
SPARK_TYPES = {"VARCHAR": "string", "BIGINT": "bigint", "DECIMAL(18,4)": "decimal(18,4)",
               "BOOLEAN": "boolean", "DATE": "date"}
# Schemas dbt builds; Spark keeps each in the folder <schema>.db of its warehouse.
DBT_SCHEMAS = ("reference", "staging", "intermediate", "marts")


def missing_lake_datasets(lake: Lake) -> dict[str, str]:
    """``raw.<dataset>`` → the select list of an empty row with the contract's columns, for
    every dataset that has no Parquet file in the lake yet."""
    missing = {}
    for ds in DATASETS.values():
        if _has_parquet(lake.raw(ds.name)):
            continue
        cols = [(c.name, SPARK_TYPES[RAW_TYPES[c.type]]) for c in ds.columns]
        cols += [("_extra", "string"), ("_source_file", "string"), ("_source_row", "bigint")]
        if ds.daily:
            cols.append(("business_date", "date"))
        missing[f"raw.{ds.name}"] = ", ".join(f"cast(null as {t}) as `{n}`" for n, t in cols)
    return missing


def spark_dbt_vars(lake: Lake) -> dict[str, object]:
    """The dbt vars a Spark build needs besides the partition window."""
    return {"missing_lake_datasets": missing_lake_datasets(lake)}


def _parquet_view(folder: Path) -> str:
    # Incremental tables are partitioned by day (business_date=... folders); others are flat.
    partitioned = any(p.is_dir() and "=" in p.name for p in folder.iterdir())
    files = folder / ("*/*.parquet" if partitioned else "*.parquet")
    return (f"select * from read_parquet({sql_path(files)}, "
            f"hive_partitioning = {str(partitioned).lower()})")


def expose_spark_tables(con: duckdb.DuckDBPyConnection, spark_dir: Path,
                        schemas: tuple[str, ...] = DBT_SCHEMAS) -> list[str]:
    """(Re)create a DuckDB view ``<schema>.<table>`` over every table Spark wrote; returns
    their names. A table without files (an empty result) is skipped."""
    exposed = []
    for schema in schemas:
        root = spark_dir / "warehouse" / f"{schema}.db"
        if not root.is_dir():
            continue
        con.execute(f"create schema if not exists {schema}")
        tables = {r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = ? "
            "and table_type = 'BASE TABLE' and table_catalog = current_database()",
            [schema]).fetchall()}
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            if not any(folder.rglob("*.parquet")):
                continue
            name = f'{schema}."{folder.name}"'
            if folder.name in tables:  # left by an earlier DuckDB build
                con.execute(f"drop table {name}")
            con.execute(f"create or replace view {name} as {_parquet_view(folder)}")
            exposed.append(f"{schema}.{folder.name}")
    return exposed
