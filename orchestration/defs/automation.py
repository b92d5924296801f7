"""Jobs, schedules and sensors."""

import hashlib
import json

import dagster as dg

from orchestration.defs.partitions import daily_partitions
from orchestration.lib.contract import DATASETS
from orchestration.lib.landing_state import contiguous_ranges, file_signatures, stale_partitions
from orchestration.lib.storage import LoyaltyStorage

SNAPSHOTS = [d.name for d in DATASETS.values() if not d.daily]

# Everything, for one business day (the schedule) or a range of days (a backfill, which
# runs once over the whole range thanks to the single-run backfill policies).
loyalty_daily = dg.define_asset_job(
    "loyalty_daily",
    selection=dg.AssetSelection.all(),
    description="Ingest, build the marts, score and publish for a business day.",
)

# 02:00 store-local time, for the business day that just ended.
loyalty_daily_schedule = dg.build_schedule_from_partitioned_job(
    loyalty_daily, hour_of_day=2, minute_of_hour=0,
)


# Files that land between scheduled runs: the sensor ingests their days.
landing_ingest = dg.define_asset_job(
    "landing_ingest",
    selection=dg.AssetSelection.groups("ingest") - dg.AssetSelection.assets(*SNAPSHOTS),
    description="Ingest the daily landing datasets for a business day (or a range).",
)
reference_ingest = dg.define_asset_job(
    "reference_ingest",
    selection=dg.AssetSelection.assets(*SNAPSHOTS),
    description="Ingest the store and product snapshots.",
)


@dg.sensor(
    jobs=[landing_ingest, reference_ingest],
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Watches the landing folder. A new or changed file (compared with the ingest "
                "ledger by sha256) triggers ingestion of its business day; consecutive days "
                "are ingested in one run.",
)
def landing_files(context: dg.SensorEvaluationContext, storage: LoyaltyStorage):
    datasets = list(DATASETS.values())
    seen = json.loads(context.cursor) if context.cursor else {}
    current = file_signatures(storage.landing_path, datasets)
    candidates = {path for path, sig in current.items() if seen.get(path) != sig}
    if not candidates:
        return dg.SkipReason("no new or changed landing files")
    stale = stale_partitions(storage.landing_path, storage.lake, datasets, only=candidates)
    valid = set(daily_partitions.get_partition_keys())
    requests = []
    if None in stale:
        requests.append(dg.RunRequest(
            job_name=reference_ingest.name,
            asset_selection=[dg.AssetKey(n) for n in sorted(stale.pop(None))],
            run_key=f"snapshots:{_digest(current, SNAPSHOTS)}",
        ))
    outside = sorted(d for d in stale if d.isoformat() not in valid)
    if outside:
        context.log.warning(f"{len(outside)} landing day(s) outside the partitions, not "
                            f"ingested: {', '.join(map(str, outside[:5]))}")
    days = [d for d in stale if d.isoformat() in valid]
    for first, last in contiguous_ranges(days):
        names = sorted(set().union(*(stale[d] for d in days if first <= d <= last)))
        keys = [dg.AssetKey(n) for n in names]
        run_key = f"{first}:{last}:{_digest(current, names)}"
        if first == last:
            requests.append(dg.RunRequest(job_name=landing_ingest.name, asset_selection=keys,
                                          partition_key=first.isoformat(), run_key=run_key))
        else:
            requests.append(dg.RunRequest(
                job_name=landing_ingest.name, asset_selection=keys, run_key=run_key,
                tags={"dagster/asset_partition_range_start": first.isoformat(),
                      "dagster/asset_partition_range_end": last.isoformat()}))
    context.update_cursor(json.dumps(current, sort_keys=True))
    return requests or dg.SkipReason("landing files changed on disk but not in content")


def _digest(signatures: dict[str, str], datasets) -> str:
    """A short fingerprint of the files of ``datasets``: a new file version, a new run key."""
    prefixes = tuple(DATASETS[n].landing_path for n in datasets)
    text = json.dumps({p: s for p, s in signatures.items() if p.startswith(prefixes)},
                      sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
