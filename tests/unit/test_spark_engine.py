from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.lib.contract import DATASETS
from orchestration.lib.lake import Lake
from orchestration.lib.spark_engine import expose_spark_tables, missing_lake_datasets


def test_a_dataset_without_files_is_an_empty_source_with_the_contract_columns(
        tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    missing = missing_lake_datasets(lake)
    assert set(missing) == {f"raw.{name}" for name in DATASETS}
    assert "cast(null as decimal(18,4)) as `net_amount`" in missing["raw.pos_transactions"]
    assert missing["raw.pos_transactions"].endswith("cast(null as date) as `business_date`")
    assert "business_date" not in missing["raw.pos_stores"]


def test_a_dataset_with_files_is_not_missing(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    day = lake.raw("pos_transactions") / "business_date=2026-01-05"
    day.mkdir(parents=True)
    pq.write_table(pa.table({"transaction_id": ["T1"]}), day / "part.parquet")
    assert "raw.pos_transactions" not in missing_lake_datasets(lake)


def test_spark_tables_become_duckdb_views_replacing_duckdb_tables(tmp_path: Path) -> None:
    marts = tmp_path / "spark" / "warehouse" / "marts.db"
    (marts / "dim_members").mkdir(parents=True)
    pq.write_table(pa.table({"member_id": ["M1", "M2"]}), marts / "dim_members" / "part-0.parquet")
    for day, ids in (("2026-01-05", ["E1"]), ("2026-01-06", ["E2", "E3"])):
        (marts / "daily" / f"business_date={day}").mkdir(parents=True)
        pq.write_table(pa.table({"event_id": ids}),
                       marts / "daily" / f"business_date={day}" / "part-0.parquet")
    (marts / "never_written").mkdir()
    with duckdb.connect() as con:
        con.execute("create schema marts")
        con.execute("create table marts.dim_members as select 'old' as member_id")
        assert expose_spark_tables(con, tmp_path / "spark") == ["marts.daily", "marts.dim_members"]
        assert con.execute("select count(*) from marts.dim_members").fetchone()[0] == 2
        assert con.execute("select max(business_date) from marts.daily").fetchone()[0].isoformat() \
            == "2026-01-06"
