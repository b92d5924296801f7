"""`loyalty run`: materialise every asset for every business day in the landing folder.

Job runs of ``loyalty_daily``, all recorded in the Dagster instance so the UI shows them:
the daily (partitioned) assets over the range of days whose landing files changed (ingest,
incremental dbt models, their checks; a single run thanks to the single-run backfill
policies), then the unpartitioned models and their checks in a run of their own, then
scoring and outputs for the latest day. An unpartitioned asset the daily ones read (the
store snapshot) is loaded in a run before the range. When no day changed but a model is
older than a day it reads (its run failed after the days loaded), that model and what reads
it are rebuilt. When nothing changed since the last run, nothing runs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from orchestration.lib.contract import DATASETS
from orchestration.lib.lake import Lake
from orchestration.lib.landing import landing_days
from orchestration.lib.landing_state import stale_partitions
from orchestration.lib.run_recovery import fail_abandoned_runs
from orchestration.lib.settings import PROJECT_ROOT, Settings
from orchestration.lib.warehouse import connect, table_counts

SCORING_GROUPS = ("scoring", "outputs", "publish")
JOB = "loyalty_daily"
# the console shows INFO and above; everything is in the instance's event log for the UI
QUIET = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


# Dagster records one "planned" event per partition and asset when it creates a range run:
# 51 assets x 365 days = 18,615 SQLite writes before the first step of a first load when all
# assets ran in one range run (20 min at 1M lines, bench/RESULTS.md; the range run now holds
# the 12 daily assets). With this flag it records one event per asset, holding the
# range. The price (dagster-io/dagster#29288): if that run fails, its days show as missing
# rather than failed in the UI. `loyalty run` finds them again either way (it re-runs every
# day that is not materialised), and the run's failure is in the UI and on the console.
# Only `loyalty run`'s range run sets it: scheduled daily runs keep per-partition failures.
SUBSET_PLANNED_EVENTS = "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"


@contextlib.contextmanager
def one_planned_event_per_asset() -> Iterator[None]:
    """Within the block, a range run plans each asset with one event (see above)."""
    before = os.environ.get(SUBSET_PLANNED_EVENTS)
    os.environ[SUBSET_PLANNED_EVENTS] = "true"
    try:
        yield
    finally:
        if before is None:
            del os.environ[SUBSET_PLANNED_EVENTS]
        else:
            os.environ[SUBSET_PLANNED_EVENTS] = before


@dataclass
class RunReport:
    days: list[dt.date]
    changed_days: list[dt.date]
    skipped_days: list[dt.date]
    runs: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    members_scored: int = 0


def ensure_dagster_home() -> Path:
    """Use the project's .dagster/ as the instance home unless DAGSTER_HOME is set."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT / ".dagster")))
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        shutil.copy(PROJECT_ROOT / "dagster.yaml", config)
    return home


def changed_days(settings: Settings, days: list[dt.date]) -> list[dt.date]:
    """Days whose landing files differ from what the lake was built from.

    A changed store or product snapshot makes every day changed: staging reads store
    time zones for every till line.
    """
    stale = stale_partitions(settings.landing_dir, Lake(settings.lake_dir), DATASETS.values())
    if None in stale:
        return list(days)
    return [d for d in days if d in stale]


def unmaterialised_days(instance: dg.DagsterInstance, graph, keys, days: list[dt.date]
                        ) -> list[dt.date]:
    """Days some asset has not been materialised for yet (say, after a failed run).

    An unpartitioned asset never materialised makes every day pending.
    """
    missing: set[dt.date] = set()
    for key in keys:
        if graph.get(key).partitions_def is None:
            if instance.get_latest_materialization_event(key) is None:
                return list(days)
            continue
        done = instance.get_materialized_partitions(key)
        missing |= {d for d in days if d.isoformat() not in done}
    return sorted(missing)


def stale_unpartitioned(instance: dg.DagsterInstance, graph, keys: set[dg.AssetKey]
                        ) -> set[dg.AssetKey]:
    """Unpartitioned assets of ``keys`` last materialised before a daily asset they read was.

    Their run failed or never started after the daily ones had loaded (the process died
    between runs, a model failed), or a day was re-materialised from the UI since: the
    tables are older than the days under them, though every day is materialised.
    """
    daily = {k for k in keys if graph.get(k).partitions_def is not None}
    events = instance.get_latest_materialization_events(keys)
    latest = {k: e.timestamp for k, e in events.items() if e is not None}
    stale = set()
    for key in keys - daily:
        read = dg.AssetSelection.assets(key).upstream().resolve(graph) & daily
        newest = max((latest[k] for k in read if k in latest), default=None)
        if newest is not None and latest.get(key, float("-inf")) < newest:
            stale.add(key)
    return stale


def split_by_partitioning(graph, keys: set[dg.AssetKey]
                          ) -> tuple[set[dg.AssetKey], set[dg.AssetKey], set[dg.AssetKey]]:
    """``keys`` as (unpartitioned assets the daily ones read, daily assets, the other
    unpartitioned assets): what a load runs before, in and after its range run.

    A range run plans every check with its whole range, one row per day, whether the check's
    asset is partitioned or not (Dagster 1.13: the run's subset comes back from
    ``DagsterRun.get_resolved_partitions_subset_for_events``), and those rows stay "planned"
    beside the check's one result.
    Built in runs without partitions, the checks of unpartitioned assets plan one row each;
    the checks of the daily assets keep a row per day (bench/RESULTS.md, 2026-12-01 evening).
    """
    daily = {k for k in keys if graph.get(k).partitions_def is not None}
    if not daily:
        return set(), set(), set(keys)
    upstream = dg.AssetSelection.assets(*daily).upstream().resolve(graph)
    before = (upstream & keys) - daily
    # what runs before the range must not read a daily asset: it would see the old days
    late = {k for k in before
            if dg.AssetSelection.assets(k).upstream().resolve(graph) & daily}
    if late:
        raise ValueError("unpartitioned assets between daily ones cannot be loaded before "
                         f"the range: {sorted(k.to_user_string() for k in late)}")
    return before, daily, keys - daily - before


def _execute(job: dg.JobDefinition, instance: dg.DagsterInstance, keys: set[dg.AssetKey],
             *, partition_key: str | None = None, tags: dict[str, str] | None = None) -> str:
    """Run ``keys`` of the job in this process, recorded in ``instance``; the run's id."""
    result = job.execute_in_process(
        instance=instance,
        asset_selection=list(keys),
        partition_key=partition_key,
        run_config=QUIET,
        tags={**(tags or {}), "loyalty/trigger": "loyalty run"},
        raise_on_error=True,
    )
    return result.run_id


def run_all(settings: Settings, log=print) -> RunReport:
    """Materialise everything for the landing folder's days; safe to run again."""
    from orchestration.definitions import defs as load_defs
    from orchestration.defs.partitions import daily_partitions

    ensure_dagster_home()
    days = landing_days(settings.landing_dir, [d for d in DATASETS.values() if d.daily])
    if not days:
        raise SystemExit(f"no daily landing files under {settings.landing_dir}: "
                         "run `loyalty generate` or point LOYALTY_LANDING_DIR at your exports")
    valid = set(daily_partitions.get_partition_keys())
    skipped = [d for d in days if d.isoformat() not in valid]
    days = [d for d in days if d.isoformat() in valid]
    if skipped:
        log(f"! {len(skipped)} landing day(s) outside the partitions "
            f"({daily_partitions.start:%Y-%m-%d} to yesterday) are not processed: "
            f"{', '.join(map(str, skipped[:5]))}{' …' if len(skipped) > 5 else ''}")
    if not days:
        raise SystemExit("no landing day falls inside the partition range; "
                         "set LOYALTY_FIRST_BUSINESS_DATE")
    definitions = load_defs()
    job = definitions.resolve_job_def(JOB)
    graph = definitions.resolve_asset_graph()
    scoring = dg.AssetSelection.groups(*SCORING_GROUPS).resolve(graph)
    loading = dg.AssetSelection.all().resolve(graph) - scoring
    instance = dg.DagsterInstance.get()
    for run_id in fail_abandoned_runs(instance):
        log(f"! run {run_id} was interrupted (its process is gone): marked failed, resuming")
    pending = set(changed_days(settings, days)) | set(
        unmaterialised_days(instance, graph, loading, days))
    report = RunReport(days=days, changed_days=sorted(pending), skipped_days=skipped)
    before, daily, after = split_by_partitioning(graph, loading)

    if report.changed_days:
        start, end = report.changed_days[0], report.changed_days[-1]
        log(f"→ ingest, dbt and checks for {start} … {end} "
            f"({len(report.changed_days)} changed of {len(days)} days)")
        if before:
            report.runs.append(_execute(job, instance, before))
        if daily:  # (an empty selection would run the whole job)
            with one_planned_event_per_asset():
                report.runs.append(_execute(job, instance, daily, tags={
                    "dagster/asset_partition_range_start": start.isoformat(),
                    "dagster/asset_partition_range_end": end.isoformat()}))
        if after:
            report.runs.append(_execute(job, instance, after))
    elif stale := stale_unpartitioned(instance, graph, loading):
        # the days are loaded but the member-level models were not rebuilt over them
        rebuild = dg.AssetSelection.assets(*stale).downstream().resolve(graph) & after
        log(f"→ {len(stale)} model(s) older than the days they read "
            f"({', '.join(sorted(k.to_user_string() for k in stale)[:3])}"
            f"{' …' if len(stale) > 3 else ''}): rebuilding them and what reads them")
        report.runs.append(_execute(job, instance, rebuild))
    else:
        log(f"✓ the lake is up to date with the {len(days)} landing days")

    last = days[-1]
    # scoring, outputs and publishing for the last day, unless all are already there and
    # nothing under them was rebuilt by this call
    if report.runs or unmaterialised_days(instance, graph, scoring, [last]):
        log(f"→ scoring, outputs and the serving file as of {last}")
        report.runs.append(_execute(job, instance, scoring, partition_key=last.isoformat()))

    with connect(settings.warehouse_path, read_only=True) as con:
        report.counts = table_counts(con, ("marts", "scores", "outputs"))
        report.members_scored = con.execute(
            "select count(*) from scores.member_rfm where as_of_date = $d", {"d": last}
        ).fetchone()[0]
    return report


def format_report(report: RunReport, settings: Settings) -> str:
    lines = [
        "",
        f"Loyalty warehouse: {len(report.days)} business days "
        f"({report.days[0]} … {report.days[-1]}), "
        f"{len(report.changed_days)} processed this time, {len(report.runs)} Dagster run(s).",
        "",
        "Rows per table:",
        *(f"  {name:<40} {n:>12,}" for name, n in report.counts.items()),
        "",
        f"Members scored as of {report.days[-1]}: {report.members_scored:,}",
        f"Warehouse:    {settings.warehouse_path}",
        f"BI tools:     {settings.serving_dir / 'loyalty.duckdb'} (and parquet/ beside it)",
        f"Lake:         {settings.lake_dir}",
        f"Landing:      {settings.landing_dir}",
        "UI:           make ui, then open http://127.0.0.1:3000 (asset graph, runs, checks)",
    ]
    return "\n".join(lines)
