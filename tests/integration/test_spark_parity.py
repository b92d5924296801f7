"""The same dbt project builds the same marts on Spark as on DuckDB, from the same lake.

One generated lake (200 members, 45 days), two real ``dbt build`` runs side by side: the
default DuckDB target, and the Spark target (``method: session``, a local Spark in the dbt
process). Spark's tables are read back the way the pipeline reads them after a Spark build:
DuckDB views over the Parquet files Spark wrote (``lib/spark_engine.expose_spark_tables``).
Then every mart must have the same rows on both engines, and the key figures must agree to
the cent: member spend, NPS by month, the points liability and the tier counts.
"""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.generator import GeneratorConfig, generate
from orchestration.lib.lake import Lake
from orchestration.lib.settings import Settings
from orchestration.lib.spark_engine import expose_spark_tables
from orchestration.lib.warehouse import connect, ensure_lake_views
from tests.lake_helpers import ingest_landing

pytestmark = pytest.mark.spark

DBT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"
CFG = GeneratorConfig(members=200, days=45, start=dt.date(2026, 1, 5), seed=5)
PII_KEY = "spark-parity-key-4c1e"


def _start_build(settings: Settings, out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [str(DBT), "build", "--profiles-dir", ".", "--target-path", str(out / "target"),
         "--log-path", str(out / "logs"), *extra],
        cwd=DBT_DIR, env={**os.environ, **settings.dbt_env()}, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, duckdb.DuckDBPyConnection]:
    root = tmp_path_factory.mktemp("spark_parity")
    env = {"LOYALTY_DATA_DIR": str(root / "data"), "LOYALTY_PII_KEY": PII_KEY}
    duck = Settings.from_env(env)
    spark = Settings.from_env({**env, "LOYALTY_ENGINE": "spark"})
    generate(CFG, duck.landing_dir)
    lake = Lake(duck.lake_dir)
    ingest_landing(duck.landing_dir, lake)
    with connect(duck.warehouse_path) as con:
        ensure_lake_views(con, lake)
    # both builds at once: the DuckDB one ends long before Spark's and the cores are two.
    # Spark builds seeds and models only: the data tests are the same SQL, run on DuckDB,
    # and this test compares what both engines built
    runs = {"spark": _start_build(spark, root / "spark", "--exclude", "resource_type:test"),
            "duckdb": _start_build(duck, root / "duckdb")}
    for name, proc in runs.items():
        out, _ = proc.communicate()
        assert proc.returncode == 0, f"{name} build failed:\n{out[-6000:]}"
    spark_tables = root / "spark_tables.duckdb"
    with connect(spark_tables) as con:
        assert expose_spark_tables(con, spark.spark_dir)
    con = duckdb.connect(str(spark_tables), read_only=True)
    con.execute(f"attach '{duck.warehouse_path}' as duck (read_only)")
    yield root, con
    con.close()


def _only_in_one(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    """Rows of ``sql`` (with ``{db}`` for the database) found on one engine only."""
    duck, spark = sql.format(db="duck."), sql.format(db="")
    return con.execute(f"(({duck}) except all ({spark})) union all "
                       f"(({spark}) except all ({duck})) limit 10").fetchall()


def _relations(con: duckdb.DuckDBPyConnection, catalog: str, schema: str) -> set[str]:
    return {r[0] for r in con.execute(
        "select table_name from information_schema.tables "
        "where table_catalog = ? and table_schema = ?", [catalog, schema]).fetchall()}


def test_every_mart_has_the_same_row_count(builds) -> None:
    _, con = builds
    marts = _relations(con, "duck", "marts")
    assert marts == _relations(con, "spark_tables", "marts")
    counts = {t: [con.execute(f"select count(*) from {db}marts.{t}").fetchone()[0]
                  for db in ("duck.", "")] for t in sorted(marts)}
    assert {t: c for t, c in counts.items() if c[0] != c[1]} == {}
    assert counts["dim_members"][0] == CFG.members


def test_member_spend_agrees_to_the_cent(builds) -> None:
    _, con = builds
    assert _only_in_one(con, """
        select member_id, round(lifetime_gross_spend, 2), round(lifetime_net_spend, 2),
            round(net_spend_12m, 2), average_basket_value, points_balance, tier_qualified
        from {db}marts.dim_members""") == []


def test_nps_by_month_agrees(builds) -> None:
    _, con = builds
    assert _only_in_one(con, """
        select response_month, dimension_type, dimension_value, responses, promoters,
            detractors, nps
        from {db}marts.satisfaction_monthly""") == []


def test_points_liability_agrees_to_the_cent(builds) -> None:
    _, con = builds
    for sql in ("select kpi_date, points_outstanding, points_liability_amount, "
                "members_gold, members_platinum from {db}marts.programme_kpis_daily",
                "select month_start_date, points_outstanding, points_liability_amount "
                "from {db}marts.programme_kpis_monthly"):
        assert _only_in_one(con, sql) == []
    liability = con.execute("select sum(points_liability_amount) from marts.programme_kpis_daily"
                            ).fetchone()[0]
    assert liability > 0


def test_tier_counts_agree(builds) -> None:
    _, con = builds
    assert _only_in_one(con, """
        select month_start_date, held_tier, qualified_tier, count(*) as members
        from {db}marts.fct_member_tier_monthly group by all""") == []


def test_every_mart_agrees_row_for_row(builds) -> None:
    """Beyond the key figures: all columns of every mart. Ratios are compared to 6 decimals:
    DuckDB divides decimals in double precision, Spark in decimal with a fixed scale."""
    _, con = builds
    for table in sorted(_relations(con, "duck", "marts")):
        columns = con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_catalog = 'duck' and table_schema = 'marts' and table_name = ? "
            "order by ordinal_position", [table]).fetchall()
        select = ", ".join(
            f"round(cast({c} as double), 6)" if t == "DOUBLE" or t.startswith("DECIMAL")
            else c for c, t in columns)
        assert _only_in_one(con, f"select {select} from {{db}}marts.{table}") == [], table


def test_pseudonyms_match_and_the_key_stays_out_of_dbt_files(builds) -> None:
    root, con = builds
    assert _only_in_one(con, "select member_id, email_hash, phone_hash "
                             "from {db}staging.stg_crm__members") == []
    # dbt's compiled SQL, run results and logs, and Spark's metastore (view texts)
    leaked = [p for folder in (root / "spark", root / "data" / "spark" / "metastore_db")
              for p in folder.rglob("*") if p.is_file() and PII_KEY.encode() in p.read_bytes()]
    assert leaked == []

