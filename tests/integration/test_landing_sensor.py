"""The landing sensor asks for exactly the days whose files are new or changed; a day older
than the next daily run's window comes with its incremental dbt models."""

import datetime as dt
import os
from collections import defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg

from orchestration.definitions import defs
from orchestration.defs.automation import IN_PROCESS, landing_files, loyalty_daily_schedule
from orchestration.defs.dbt.assets import dbt_partitioned_models
from orchestration.defs.partitions import daily_partitions
from orchestration.generator import GeneratorConfig, generate
from orchestration.lib.lake import Lake
from orchestration.lib.storage import LoyaltyStorage
from tests.lake_helpers import ingest_landing

START = dt.date(2026, 2, 1)
STAGING = {k.to_user_string() for k in dbt_partitioned_models.keys}


def _storage(root: Path) -> LoyaltyStorage:
    return LoyaltyStorage(landing_dir=str(root / "landing"), lake_dir=str(root / "lake"),
                          warehouse_path=str(root / "w.duckdb"),
                          exports_dir=str(root / "exports"), serving_dir=str(root / "serving"))


def _tick(storage: LoyaltyStorage, cursor: str | None):
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, cursor=cursor,
                                          resources={"storage": storage})
        result = landing_files(context)
        return result, context.cursor


def _ingest_everything(storage: LoyaltyStorage) -> None:
    ingest_landing(storage.landing_path, Lake(Path(storage.lake_dir)))


def test_sensor_requests_changed_days_only(tmp_path: Path) -> None:
    storage = _storage(tmp_path)
    generate(GeneratorConfig(members=60, days=5, start=START, seed=2), storage.landing_path)

    # first look: nothing is in the lake yet, so every day and the snapshots are behind;
    # the days are months old, older than any daily run's window: their staging comes too
    requests, cursor = _tick(storage, None)
    by_job = defaultdict(list)
    for r in requests:
        by_job[r.job_name].append(r)
    (daily,) = by_job["loyalty_daily"]
    assert daily.tags["dagster/asset_partition_range_start"] == "2026-02-01"
    assert daily.tags["dagster/asset_partition_range_end"] == "2026-02-05"
    selected = {k.to_user_string() for k in daily.asset_selection}
    assert selected >= {"pos_transactions", "crm_members", "online_events", "online_orders"}
    assert selected >= STAGING >= {"staging/stg_online__events", "staging/stg_online__orders",
                                   "intermediate/int_web_session_activity"}
    assert not {s for s in selected if s.startswith("marts/")}
    # what the daemon will do with it: the job runs exactly these steps
    steps = defs().resolve_job_def(daily.job_name).get_subset(
        asset_selection=set(daily.asset_selection)).graph.node_defs
    assert {n.name for n in steps} >= {"dbt_partitioned_models", "online_orders"}
    assert "dbt_models" not in {n.name for n in steps}
    (snap,) = by_job["reference_ingest"]
    assert {k.to_user_string() for k in snap.asset_selection} == {"pos_stores", "pos_products"}

    _ingest_everything(storage)
    result, cursor = _tick(storage, cursor)
    assert isinstance(result, dg.SkipReason)

    # the same bytes written again: new mtime, same content, nothing to do
    tx = storage.landing_path / "pos" / "transactions" / "2026-02-03.csv"
    tx.write_bytes(tx.read_bytes())
    os.utime(tx, ns=(tx.stat().st_atime_ns, tx.stat().st_mtime_ns + 10**9))
    result, cursor = _tick(storage, cursor)
    assert isinstance(result, dg.SkipReason) and "not in content" in result.skip_message

    # a late second file for one day: one run for that day and that dataset
    (tx.parent / "2026-02-03_late.csv").write_text(tx.read_text().splitlines()[0] + "\n" +
                                                   tx.read_text().splitlines()[1] + "\n")
    requests, cursor = _tick(storage, cursor)
    (request,) = requests
    assert request.partition_key == "2026-02-03"
    assert {k.to_user_string() for k in request.asset_selection} == {"pos_transactions", *STAGING}
    again, _ = _tick(storage, None)
    assert request.run_key in {r.run_key for r in again}  # same files, same run key


def test_schedule_ingests_late_days_of_the_lookback_then_runs_yesterday(tmp_path: Path) -> None:
    storage = _storage(tmp_path)
    generate(GeneratorConfig(members=60, days=5, start=START, seed=2), storage.landing_path)
    _ingest_everything(storage)
    tx = storage.landing_path / "pos" / "transactions" / "2026-02-03.csv"
    lines = tx.read_text().splitlines()
    (tx.parent / "2026-02-03_late.csv").write_text(lines[0] + "\n" + lines[1] + "\n")
    # a late file older than the lookback is the sensor's business, not the schedule's
    old = storage.landing_path / "pos" / "transactions" / "2026-02-01.csv"
    (old.parent / "2026-02-01_late.csv").write_text(old.read_text().splitlines()[0] + "\n"
                                                    + old.read_text().splitlines()[1] + "\n")

    # the tick of 2026-02-06 02:00 Shanghai processes 2026-02-05 (lookback: 3 days)
    tick = dt.datetime(2026, 2, 6, 2, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(instance=instance, scheduled_execution_time=tick,
                                            resources={"storage": storage})
        requests = loyalty_daily_schedule(context)
    late, daily = requests
    assert late.partition_key == "2026-02-03" and late.job_name is None
    assert [k.to_user_string() for k in late.asset_selection] == ["pos_transactions"]
    assert daily.partition_key == "2026-02-05" and daily.asset_selection is None
    assert daily.run_config == IN_PROCESS


def test_a_day_the_next_daily_run_reaches_is_only_ingested(tmp_path: Path) -> None:
    """Yesterday's files, landing before the 02:00 run: the sensor ingests them and leaves
    the dbt models to that run, whose window covers the day."""
    storage = _storage(tmp_path)
    today = dt.datetime.now(ZoneInfo(daily_partitions.timezone)).date()
    yesterday = today - dt.timedelta(days=1)
    generate(GeneratorConfig(members=30, days=1, start=yesterday, seed=3), storage.landing_path)
    requests, _ = _tick(storage, None)
    (daily,) = [r for r in requests if r.partition_key == yesterday.isoformat()]
    assert daily.job_name == "landing_ingest"
    assert not {k.to_user_string() for k in daily.asset_selection} & STAGING
