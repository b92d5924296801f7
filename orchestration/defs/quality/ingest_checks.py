"""Checks on the ingested lake: nothing lost (every dataset) and GX suites (raw tables)."""


import dagster as dg

from orchestration.defs.partitions import daily_partitions, days_of
from orchestration.lib.contract import DATASETS, Dataset
from orchestration.lib.gx_runner import load_suite, run_suite_on_parquet
from orchestration.lib.lake import partition_name
from orchestration.lib.reconcile import reconcile
from orchestration.lib.storage import LoyaltyStorage


def _days(context: dg.AssetCheckExecutionContext, dataset: Dataset) -> list:
    return days_of(context) if dataset.daily else [None]


def build_reconcile_check(dataset: Dataset) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dataset.name,
        name="rows_reconcile",
        blocking=True,
        partitions_def=daily_partitions if dataset.daily else None,
        description="Every row read is loaded or quarantined: per file, rows_read = "
                    "rows_loaded + rows_quarantined, and the lake holds exactly those rows.",
    )
    def _check(context: dg.AssetCheckExecutionContext,
               storage: LoyaltyStorage) -> dg.AssetCheckResult:
        files, problems = reconcile(storage.lake, dataset, _days(context, dataset))
        for p in problems[:20]:
            context.log.error(f"{dataset.name}: {p}")
        return dg.AssetCheckResult(
            passed=not problems,
            metadata={"files_checked": files, "problems": len(problems),
                      "first_problems": dg.MetadataValue.json(problems[:20])},
        )

    return _check


def build_gx_check(dataset: Dataset, suite: str) -> dg.AssetChecksDefinition:
    meta = load_suite(suite).get("meta", {})

    @dg.asset_check(
        asset=dataset.name,
        name="great_expectations",
        # the suite file says whether failing it must stop downstream work
        blocking=bool(meta.get("blocking", True)),
        partitions_def=daily_partitions if dataset.daily else None,
        description=f"Great Expectations suite `expectations/{suite}.json` on the loaded rows "
                    "(in batches of whole days, up to a million rows each: uniqueness and "
                    "proportions hold within a batch): "
                    f"{meta.get('description', '')}",
    )
    def _check(context: dg.AssetCheckExecutionContext,
               storage: LoyaltyStorage) -> dg.AssetCheckResult:
        folders = [storage.lake.raw(dataset.name) / partition_name(d)
                   for d in _days(context, dataset)]
        paths = [f / "data.parquet" for f in folders if (f / "data.parquet").exists()]
        if not paths:
            return dg.AssetCheckResult(passed=True, metadata={"rows_validated": 0})
        # a year of a big dataset is validated in batches of whole days (flat memory)
        outcome = run_suite_on_parquet(paths, suite)
        return dg.AssetCheckResult(
            passed=outcome.success,
            severity=dg.AssetCheckSeverity.ERROR if meta.get("blocking", True)
            else dg.AssetCheckSeverity.WARN,
            metadata={k: (dg.MetadataValue.json(v) if isinstance(v, list) else v)
                      for k, v in outcome.metadata().items()},
        )

    return _check


reconcile_checks = [build_reconcile_check(d) for d in DATASETS.values()]
gx_checks = [build_gx_check(d, f"raw_{d.name}") for d in DATASETS.values()]
