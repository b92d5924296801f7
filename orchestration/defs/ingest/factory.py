"""One ingest asset per landing dataset, built from the contract (lib/contract.py)."""


import datetime as dt
from collections import defaultdict

import dagster as dg

from orchestration.defs.partitions import daily_partitions, days_of, single_run
from orchestration.lib.contract import Dataset
from orchestration.lib.ingest import (
    PartitionResult,
    ingest_days,
    preview_rows,
    reject_unassigned,
)
from orchestration.lib.landing import discover
from orchestration.lib.metadata import markdown_table
from orchestration.lib.storage import LoyaltyStorage

OWNER = "team:data-engineering"



def _summary(dataset: Dataset, results: list[PartitionResult]) -> dict:
    rejected = [f"{f.path}: {f.reason}" for r in results for f in r.rejected]
    drift = sorted({c for r in results for f in r.files for c in f.drift_columns})
    reasons: dict[str, int] = defaultdict(int)
    for r in results:
        for code, n in r.reason_counts.items():
            reasons[code] += n
    unknown: dict[str, dict[str, int]] = {}
    for r in results:
        for col, values in r.unknown_values.items():
            for value, n in values.items():
                unknown.setdefault(col, {})[value] = unknown.get(col, {}).get(value, 0) + n
    return {
        "unknown_values_kept": dg.MetadataValue.json(unknown),
        "duplicate_keys_kept": sum(r.duplicate_keys_kept for r in results),
        "partitions": len(results),
        "partitions_unchanged": sum(r.unchanged for r in results),
        "files": sum(len(r.files) for r in results),
        "rows_read": sum(r.rows_read for r in results),
        "rows_loaded": sum(r.rows_loaded for r in results),
        "rows_quarantined": sum(r.rows_quarantined for r in results),
        "quarantine_reasons": dg.MetadataValue.json(dict(reasons)),
        "rejected_files": dg.MetadataValue.json(rejected),
        "schema_drift_columns": dg.MetadataValue.json(drift),
    }


def build_ingest_asset(dataset: Dataset) -> dg.AssetsDefinition:
    partitioned = dataset.daily

    @dg.asset(
        name=dataset.name,
        group_name="ingest",
        description=(
            f"{dataset.description} Landing files `{dataset.landing_path}` validated against "
            "the landing contract into the Parquet lake: valid rows in "
            f"`raw/{dataset.name}/`, invalid ones with reasons in `quarantine/{dataset.name}/`"
            + (", one folder per business day." if partitioned else ".")
        ),
        partitions_def=daily_partitions if partitioned else None,
        backfill_policy=single_run if partitioned else None,
        kinds={"python", "parquet"},
        owners=[OWNER],
        tags={"layer": "raw"},
    )
    def _ingest(context: dg.AssetExecutionContext, storage: LoyaltyStorage) -> dg.MaterializeResult:
        files = discover(storage.landing_path, dataset)
        results: list[PartitionResult] = []
        if partitioned:
            wanted = set(days_of(context))
            by_day: dict[dt.date | None, list] = defaultdict(list)
            for f in files:
                if f.business_date in wanted:
                    by_day[f.business_date].append(f)
            unnamed = [f for f in files if f.name_error]
            if unnamed:
                results.append(reject_unassigned(dataset, unnamed, storage.lake))
        else:
            by_day = {None: files} if files else {}
        results += ingest_days(dataset, by_day, storage.lake)
        for r in results:
            for f in r.rejected:
                context.log.warning(f"{dataset.name}: file {f.path} quarantined whole: {f.reason}")
            if r.rows_quarantined:
                why = ", ".join(f"{k}={v}" for k, v in r.reason_counts.items())
                context.log.warning(f"{dataset.name} {r.business_date}: {r.rows_quarantined} of "
                                    f"{r.rows_read} rows quarantined ({why})")
            for col, values in r.unknown_values.items():
                context.log.warning(
                    f"{dataset.name} {r.business_date}: kept {sum(values.values())} row(s) with "
                    f"{col} outside the known list: {', '.join(sorted(values))[:200]}")
        last_day = max((r.business_date for r in results if r.business_date), default=None)
        return dg.MaterializeResult(metadata={
            **_summary(dataset, results),
            "preview": dg.MetadataValue.md(
                markdown_table(preview_rows(storage.lake, dataset, last_day))),
        })

    return _ingest
