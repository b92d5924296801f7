"""Jobs, schedules and sensors."""

import datetime as dt
import hashlib
import json
from zoneinfo import ZoneInfo

import dagster as dg

from orchestration.defs.dbt.assets import dbt_partitioned_models
from orchestration.defs.partitions import daily_partitions
from orchestration.lib.contract import DATASETS
from orchestration.lib.dbt_vars import lookback_days
from orchestration.lib.landing_state import contiguous_ranges, file_signatures, stale_partitions
from orchestration.lib.run_recovery import fail_abandoned_runs
from orchestration.lib.storage import LoyaltyStorage

SNAPSHOTS = [d.name for d in DATASETS.values() if not d.daily]

# Everything, for one business day (the schedule) or a range of days (a backfill, which
# runs once over the whole range thanks to the single-run backfill policies).
# The schedule (and the launchpad's default) runs the steps in the run's own process: nearly
# every step writes the one DuckDB file, so the pool serialises them anyway, and a process
# per step only adds start-up (5-20 s each, 60 steps). The multiprocess executor stays
# available (`execution: {config: {multiprocess: {}}}`, the default for ad-hoc
# materialisations) and safe: the pool admits one warehouse writer at a time.
IN_PROCESS = {"execution": {"config": {"in_process": {}}}}
loyalty_daily = dg.define_asset_job(
    "loyalty_daily",
    selection=dg.AssetSelection.all(),
    description="Ingest, build the marts, score and publish for a business day.",
    config=IN_PROCESS,
)

# Files that land between scheduled runs: the sensor ingests their days.
landing_ingest = dg.define_asset_job(
    "landing_ingest",
    selection=dg.AssetSelection.groups("ingest") - dg.AssetSelection.assets(*SNAPSHOTS),
    description="Ingest the daily landing datasets for a business day (or a range).",
    config=IN_PROCESS,
)
reference_ingest = dg.define_asset_job(
    "reference_ingest",
    selection=dg.AssetSelection.assets(*SNAPSHOTS),
    description="Ingest the store and product snapshots.",
    config=IN_PROCESS,
)


@dg.sensor(
    jobs=[landing_ingest, reference_ingest, loyalty_daily],
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Watches the landing folder. A new or changed file (compared with the ingest "
                "ledger by sha256) triggers ingestion of its business day; consecutive days "
                "are ingested in one run. A day older than the next scheduled run's window "
                "also has its incremental dbt models rebuilt in that run: no daily run "
                "would reach it.",
)
def landing_files(context: dg.SensorEvaluationContext, storage: LoyaltyStorage):
    seen = json.loads(context.cursor) if context.cursor else {}
    current = file_signatures(storage.landing_path, list(DATASETS.values()))
    candidates = {path for path, sig in current.items() if seen.get(path) != sig}
    if not candidates:
        return dg.SkipReason("no new or changed landing files")
    today = dt.datetime.now(ZoneInfo(daily_partitions.timezone)).date()
    requests = ingest_requests(context, storage, current, only=candidates,
                               staging_before=today - dt.timedelta(days=lookback_days()))
    context.update_cursor(json.dumps(current, sort_keys=True))
    return requests or dg.SkipReason("landing files changed on disk but not in content")


def ingest_requests(context, storage: LoyaltyStorage, current: dict[str, str], *,
                    only: set[str] | None = None, since: dt.date | None = None,
                    jobs: tuple[str | None, str | None] = (landing_ingest.name,
                                                           reference_ingest.name),
                    staging_before: dt.date | None = None) -> list[dg.RunRequest]:
    """Ingest runs for the landing files the lake is behind on: one for the snapshots, one
    per range of consecutive days. ``only``: look at these files; ``since``: at days from it;
    ``jobs``: the jobs for days and for snapshots (None: the schedule's own job).
    ``staging_before``: a range starting before this day runs in ``loyalty_daily`` with the
    incremental (partitioned) dbt models too, since the daily runs re-process only the
    days of their lookback: a late or corrected file of an older day would otherwise stay
    out of staging until someone backfilled its day.
    """
    daily_job, snapshot_job = jobs
    stale = stale_partitions(storage.landing_path, storage.lake, DATASETS.values(), only=only)
    valid = set(daily_partitions.get_partition_keys())
    requests = []
    if None in stale:
        requests.append(dg.RunRequest(
            job_name=snapshot_job, run_config=IN_PROCESS,
            asset_selection=[dg.AssetKey(n) for n in sorted(stale.pop(None))],
            run_key=f"snapshots:{_digest(current, SNAPSHOTS)}",
        ))
    if since is not None:
        stale = {d: names for d, names in stale.items() if d >= since}
    outside = sorted(d for d in stale if d.isoformat() not in valid)
    if outside:
        context.log.warning(f"{len(outside)} landing day(s) outside the partitions, not "
                            f"ingested: {', '.join(map(str, outside[:5]))}")
    days = [d for d in stale if d.isoformat() in valid]
    for first, last in contiguous_ranges(days):
        names = sorted(set().union(*(stale[d] for d in days if first <= d <= last)))
        keys = [dg.AssetKey(n) for n in names]
        run_key = f"{first}:{last}:{_digest(current, names)}"
        job = daily_job
        if staging_before is not None and first < staging_before:
            job = loyalty_daily.name
            keys += sorted(dbt_partitioned_models.keys, key=dg.AssetKey.to_user_string)
        if first == last:
            requests.append(dg.RunRequest(job_name=job, asset_selection=keys,
                                          partition_key=first.isoformat(), run_key=run_key,
                                          run_config=IN_PROCESS))
        else:
            requests.append(dg.RunRequest(
                job_name=job, asset_selection=keys, run_key=run_key,
                run_config=IN_PROCESS,
                tags={"dagster/asset_partition_range_start": first.isoformat(),
                      "dagster/asset_partition_range_end": last.isoformat()}))
    return requests


@dg.schedule(
    cron_schedule="0 2 * * *",
    execution_timezone=daily_partitions.timezone,
    job=loyalty_daily,
    description="02:00 store time: first ingests late or corrected files of the "
                "LOYALTY_LOOKBACK_DAYS days before yesterday (only days whose files changed), "
                "then runs loyalty_daily for yesterday, whose incremental dbt models "
                "re-process those days too. Runs queue one at a time, in this order.",
)
def loyalty_daily_schedule(context: dg.ScheduleEvaluationContext, storage: LoyaltyStorage):
    yesterday = (context.scheduled_execution_time - dt.timedelta(days=1)).date()
    since = yesterday - dt.timedelta(days=lookback_days())
    current = file_signatures(storage.landing_path, list(DATASETS.values()))
    late = [r for r in ingest_requests(context, storage, current, since=since,
                                       jobs=(None, None))
            if _before(r, yesterday)]
    daily = dg.RunRequest(partition_key=yesterday.isoformat(), run_config=IN_PROCESS,
                          run_key=f"daily:{yesterday.isoformat()}")
    return [*late, daily]


def _before(request: dg.RunRequest, day: dt.date) -> bool:
    """Ingest requests for days before ``day`` (yesterday's own files come with its run)."""
    end = request.tags.get("dagster/asset_partition_range_end") or request.partition_key
    return end is not None and dt.date.fromisoformat(end) < day


def _digest(signatures: dict[str, str], datasets) -> str:
    """A short fingerprint of the files of ``datasets``: a new file version, a new run key."""
    prefixes = tuple(DATASETS[n].landing_path for n in datasets)
    text = json.dumps({p: s for p, s in signatures.items() if p.startswith(prefixes)},
                      sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dg.sensor(
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Marks failed the runs whose worker process died while nothing watched it "
                "(the code server died too: a reboot, `dagster dev` killed) and frees their "
                "concurrency slots, so run retries relaunch them and the next scheduled run "
                "is not stuck behind them.",
)
def abandoned_runs(context: dg.SensorEvaluationContext):
    failed = fail_abandoned_runs(context.instance)
    for run_id in failed:
        context.log.warning(f"run {run_id} lost its worker process: marked failed")
    return dg.SkipReason(f"{len(failed)} abandoned run(s) marked failed" if failed
                         else "no abandoned runs")
