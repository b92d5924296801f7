"""Daily operation on Spark: the incremental models replace only their window's days, and a
late file takes over the events first delivered on a later day, as on DuckDB.

The incremental staging models (till lines, web events, points entries) are the only ones
that do not rebuild in full; on Spark they overwrite the days of the window
(``insert_overwrite`` partitioned by ``business_date``) and their post-hook
(``spark__drop_later_deliveries``) rewrites later days without the copies. The same two runs
go to both engines over one lake:

1. the five days with one day's till lines and web events missing (the late file), some of
   its events delivered again in the next day's file;
2. the late files arrive and their day's window runs (with the usual lookback);
3. the till lines and points entries of the day before the last are delivered again as
   header-only files (corrected to no rows), and the last day's window runs.

Then both engines must hold the same rows, each event once, on its first day, and no row of
the emptied day.
"""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.generator import GeneratorConfig, generate
from orchestration.lib.contract import DATASETS
from orchestration.lib.dbt_vars import partitioned_dbt_vars, vars_arg
from orchestration.lib.ingest import ingest_days
from orchestration.lib.lake import Lake
from orchestration.lib.settings import Settings
from orchestration.lib.spark_engine import expose_spark_tables, spark_dbt_vars
from orchestration.lib.warehouse import connect, ensure_lake_views
from tests.lake_helpers import (
    EMPTIED_STAGING,
    files_by_day,
    files_to_empty,
    header_only,
    redeliver_next_day,
    staging_rows_on,
)

pytestmark = pytest.mark.spark

DBT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"
CFG = GeneratorConfig(members=120, days=5, start=dt.date(2026, 2, 1), seed=11)
LATE_DAY = dt.date(2026, 2, 3)
LATE = ("pos_transactions", "online_events")
MODELS = ("stg_pos__transaction_lines", "stg_online__events", "stg_crm__points_entries")
LAST_DAY = CFG.start + dt.timedelta(days=CFG.days - 1)
EMPTIED_DAY = LAST_DAY - dt.timedelta(days=1)


def _run(settings: Settings, out: Path, window: dict[str, str]) -> subprocess.Popen:
    extra = spark_dbt_vars(Lake(settings.lake_dir)) if settings.engine == "spark" else {}
    return subprocess.Popen(
        [str(DBT), "run", "--select", "tag:partitioned", *vars_arg({**window, **extra}),
         "--profiles-dir", ".", "--target-path", str(out / "target"),
         "--log-path", str(out / "logs")],
        cwd=DBT_DIR, env={**os.environ, **settings.dbt_env()}, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)


def _both(duck: Settings, spark: Settings, root: Path, window: dict[str, str]) -> None:
    with connect(duck.warehouse_path) as con:
        ensure_lake_views(con, Lake(duck.lake_dir))
    runs = {"spark": _run(spark, root / "spark", window),
            "duckdb": _run(duck, root / "duckdb", window)}
    for name, proc in runs.items():
        out, _ = proc.communicate()
        assert proc.returncode == 0, f"{name} run failed:\n{out[-6000:]}"


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    root = tmp_path_factory.mktemp("spark_incremental")
    env = {"LOYALTY_DATA_DIR": str(root / "data"), "LOYALTY_PII_KEY": "spark-incremental"}
    duck = Settings.from_env(env)
    spark = Settings.from_env({**env, "LOYALTY_ENGINE": "spark"})
    generate(CFG, duck.landing_dir)
    redeliver_next_day(duck.landing_dir, LATE_DAY, events=25)
    files = files_by_day(duck.landing_dir)
    lake = Lake(duck.lake_dir)  # one lake, read by both engines
    for name, by_day in files.items():
        on_time = {d: f for d, f in by_day.items() if not (name in LATE and d == LATE_DAY)}
        ingest_days(DATASETS[name], on_time, lake)
    _both(duck, spark, root, partitioned_dbt_vars(CFG.start, LAST_DAY + dt.timedelta(days=1)))
    for name in LATE:
        ingest_days(DATASETS[name], {LATE_DAY: files[name][LATE_DAY]}, lake)
    _both(duck, spark, root, partitioned_dbt_vars(LATE_DAY, LATE_DAY + dt.timedelta(days=1)))
    # the emptied day's rows as both engines hold them before its correction
    with duckdb.connect() as before:
        expose_spark_tables(before, spark.spark_dir, ("staging",))
        before.execute(f"attach '{duck.warehouse_path}' as duck (read_only)")
        emptied_before = {"spark": staging_rows_on(before, EMPTIED_DAY, "memory"),
                          "duckdb": staging_rows_on(before, EMPTIED_DAY, "duck")}
    header_only(files_to_empty(files, EMPTIED_DAY))
    for name in EMPTIED_STAGING:
        ingest_days(DATASETS[name], {EMPTIED_DAY: files[name][EMPTIED_DAY]}, lake)
    _both(duck, spark, root, partitioned_dbt_vars(LAST_DAY, LAST_DAY + dt.timedelta(days=1)))

    con = duckdb.connect(str(root / "spark_tables.duckdb"))
    exposed = expose_spark_tables(con, spark.spark_dir, ("staging",))
    assert {f"staging.{m}" for m in MODELS} <= set(exposed)
    con.execute(f"attach '{duck.warehouse_path}' as duck (read_only)")
    yield con, emptied_before
    con.close()


def test_spark_and_duckdb_hold_the_same_rows(builds) -> None:
    con, _ = builds
    for model in MODELS:
        columns = [r[0] for r in con.execute(
            "select column_name from information_schema.columns where table_catalog = 'duck' "
            "and table_schema = 'staging' and table_name = ? order by ordinal_position",
            [model]).fetchall()]
        select = ", ".join(f'"{c}"' for c in columns)
        differ = con.execute(
            f"((select {select} from duck.staging.{model}) except all "
            f"(select {select} from staging.{model})) union all "
            f"((select {select} from staging.{model}) except all "
            f"(select {select} from duck.staging.{model})) limit 5").fetchall()
        assert differ == [], model
        assert con.execute(f"select count(*) from staging.{model}").fetchone()[0] > 0


def test_the_late_days_lines_arrived_on_spark(builds) -> None:
    con, _ = builds
    [(lines,)] = con.execute("select count(*) from staging.stg_pos__transaction_lines "
                             "where transaction_date = ?", [LATE_DAY]).fetchall()
    [(raw,)] = con.execute("select count(*) from duck.raw.pos_transactions "
                           "where business_date = ?", [LATE_DAY]).fetchall()
    assert lines == raw > 0


def test_an_event_first_seen_later_moves_to_its_late_first_day_on_spark(builds) -> None:
    con, _ = builds
    repeated = con.execute(
        "select event_id, min(business_date) from duck.raw.online_events group by event_id "
        "having min(business_date) = ? and max(business_date) > ?",
        [LATE_DAY, LATE_DAY]).fetchall()
    assert repeated  # the scenario is real: these were kept on the next day by run 1
    kept = con.execute(
        "select event_id, business_date from staging.stg_online__events "
        "where event_id in (select unnest(?))", [[e for e, _ in repeated]]).fetchall()
    assert sorted(kept) == sorted(repeated)


def test_a_day_corrected_to_no_rows_leaves_both_engines(builds) -> None:
    """Spark drops the emptied day's partitions (its dynamic overwrite writes only the days
    that have rows); DuckDB deletes the window's days before inserting them. The day's web
    events go although it keeps a file of events redelivered from the day before: copies
    of rows that day holds."""
    con, before = builds
    for engine in ("spark", "duckdb"):
        assert before[engine]["pos_transactions"] > 20 and before[engine]["crm_points"] > 0
        assert before[engine]["online_events"] > 50
    assert {"spark": staging_rows_on(con, EMPTIED_DAY, "spark_tables"),
            "duckdb": staging_rows_on(con, EMPTIED_DAY, "duck")} == {
        engine: {name: 0 for name in EMPTIED_STAGING} for engine in ("spark", "duckdb")}
