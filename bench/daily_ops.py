"""Wall time of daily operation on the demo data: the daily job for one business day and a
30-day backfill, both as the schedule and a single-run backfill execute them (every asset
of `loyalty_daily`, steps in process, one run).

    python bench/daily_ops.py [--landing data/landing] [--workdir /tmp/loyalty-daily-ops]
                              [--backfill-days 30]

The landing folder is copied day by day into the work folder (never touched): first all
days but the last `backfill-days + 1` are loaded with `loyalty run`'s code (not timed),
then the backfill range arrives and runs as one run, then the last day arrives and runs
as the daily job. Prints the wall time of each run and of its layers (from the run's
event log: seconds from the first to the last event of the steps of each asset group).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _copy_days(source: Path, target: Path, keep) -> int:
    """Copy the landing files whose business day passes ``keep`` (snapshots always)."""
    from orchestration.lib.contract import DATASETS
    from orchestration.lib.landing import discover

    copied = 0
    for ds in DATASETS.values():
        for f in discover(source, ds):
            if f.business_date is None or keep(f.business_date):
                destination = target / f.rel_path
                if not destination.exists():
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(source / f.rel_path, destination)
                    copied += 1
    return copied


def _layers(instance, run_id: str, graph) -> dict[str, float]:
    """Seconds per asset group: first to last event of the steps that belong to it."""
    import dagster as dg

    spans: dict[str, list[float]] = defaultdict(list)
    groups = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        groups[key.to_python_identifier()] = node.group_name
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or not event.step_key or event.event_type not in (
                dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS,
                dg.DagsterEventType.STEP_FAILURE):
            continue
        step = event.step_key
        group = next((g for ident, g in groups.items() if step.startswith(ident)),
                     "dbt" if step.startswith("dbt_") else "other")
        spans[group].append(entry.timestamp)
    return {g: max(ts) - min(ts) for g, ts in sorted(spans.items())}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--landing", type=Path, default=ROOT / "data" / "landing")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/loyalty-daily-ops"))
    parser.add_argument("--backfill-days", type=int, default=30)
    args = parser.parse_args()

    from orchestration.lib.contract import DATASETS
    from orchestration.lib.landing import landing_days

    days = landing_days(args.landing, [d for d in DATASETS.values() if d.daily])
    if len(days) < args.backfill_days + 2:
        raise SystemExit(f"{args.landing} holds {len(days)} days: too few")
    last = days[-1]
    backfill = days[-args.backfill_days - 1:-1]
    shutil.rmtree(args.workdir, ignore_errors=True)
    os.environ.update({"LOYALTY_DATA_DIR": str(args.workdir / "data"),
                       "DAGSTER_HOME": str(args.workdir / "dagster_home"),
                       "LOYALTY_FIRST_BUSINESS_DATE": days[0].isoformat()})
    for name in ("LOYALTY_LANDING_DIR", "LOYALTY_LAKE", "LOYALTY_WAREHOUSE",
                 "LOYALTY_SERVING_DIR", "LOYALTY_EXPORTS_DIR"):
        os.environ.pop(name, None)

    import dagster as dg

    from orchestration.lib.settings import Settings
    from orchestration.runner import QUIET, ensure_dagster_home, run_all

    settings = Settings.from_env()
    settings.export_for_dbt()
    ensure_dagster_home()
    landing = settings.landing_dir
    _copy_days(args.landing, landing, lambda d: d < backfill[0])
    started = time.perf_counter()
    run_all(settings, log=lambda *_: None)
    initial = time.perf_counter() - started

    from orchestration.definitions import defs

    definitions = defs()
    job = definitions.resolve_job_def("loyalty_daily")
    graph = definitions.resolve_asset_graph()
    instance = dg.DagsterInstance.get()
    results = []
    for label, window in ((f"backfill, {len(backfill)} days (one run)", backfill),
                          ("daily job, one day", [last])):
        _copy_days(args.landing, landing, lambda d, w=window: w[0] <= d <= w[-1])
        tags = ({"dagster/asset_partition_range_start": window[0].isoformat(),
                 "dagster/asset_partition_range_end": window[-1].isoformat()}
                if len(window) > 1 else {})
        started = time.perf_counter()
        result = job.execute_in_process(
            instance=instance, run_config=QUIET, tags=tags, raise_on_error=True,
            partition_key=window[0].isoformat() if len(window) == 1 else None)
        results.append((label, time.perf_counter() - started,
                        _layers(instance, result.run_id, graph)))

    print(f"daily operation on {args.landing} ({len(days)} days), work folder {args.workdir}")
    print(f"  initial load of {len(days) - len(backfill) - 1} days (loyalty run, not the "
          f"figure): {initial:,.0f} s")
    for label, seconds, layers in results:
        print(f"  {label:<34} {seconds:8.1f} s")
        for group, span in layers.items():
            print(f"      {group:<30} {span:8.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
