"""Publish the serving file for BI tools, once every blocking check is green
(write-audit-publish; the mechanics are in ``orchestration/lib/serving.py``)."""


import json
from collections.abc import Iterable
from pathlib import Path

import dagster as dg
from dagster._core.storage.asset_check_execution_record import (
    AssetCheckExecutionRecordStatus,
)
from dagster_shared.check import CheckError
from pydantic import Field

from orchestration.defs.dbt.assets import MART_FRESHNESS, dbt_models
from orchestration.defs.dbt.project import dbt_project
from orchestration.lib.memory import release_unused_memory
from orchestration.lib.serving import (
    SERVING_FILE,
    SERVING_SCHEMAS,
    STORAGE_VERSION,
    publish,
)
from orchestration.lib.storage import WAREHOUSE_POOL, LoyaltyStorage

OWNER = "team:analytics-engineering"
SERVING_KEY = dg.AssetKey(["serving", "loyalty_db"])
PYTHON_TABLES = [dg.AssetKey(["scores", "member_rfm"]), dg.AssetKey(["scores", "member_scores"]),
                 dg.AssetKey(["outputs", "member_segments"]),
                 dg.AssetKey(["outputs", "churn_risk"]), dg.AssetKey(["outputs", "tier_nudges"])]


def _published_dbt_keys() -> list[dg.AssetKey]:
    """The marts and the reference seeds: what BI reads from the dbt project."""
    return sorted(spec.key for spec in dbt_models.specs
                  if spec.group_name and (spec.group_name.startswith("marts_")
                                          or spec.group_name == "reference"))


def failed_blocking_checks(instance: dg.DagsterInstance, graph,
                           assets: Iterable[dg.AssetKey]) -> list[str]:
    """Blocking checks of ``assets`` and everything upstream whose latest evaluation, in any
    partition, failed. The data in the warehouse is only as good as its worst partition."""
    upstream = set()
    for key in assets:
        upstream |= graph.get_ancestor_asset_keys(key, include_self=True)
    # every check of the graph, not only those the run selected (a publish-only run selects
    # none of them)
    blocking = [ck for ck in graph.asset_check_keys
                if ck.asset_key in upstream and graph.get_check_spec(ck).blocking]
    infos = instance.event_log_storage.get_asset_check_partition_info(blocking)
    failed = sorted(
        f"{info.check_key.asset_key.to_user_string()}:{info.check_key.name}"
        + (f" [{info.partition_key}]" if info.partition_key else "")
        for info in infos
        if info.latest_execution_status == AssetCheckExecutionRecordStatus.FAILED)
    return failed


def dbt_dictionary() -> list[tuple[str, str, str, str]]:
    """(schema, table, column, description) of every published dbt model and seed."""
    manifest = json.loads(Path(dbt_project.manifest_path).read_text())
    rows = []
    for node in manifest["nodes"].values():
        if node["resource_type"] not in ("model", "seed") or node["schema"] not in SERVING_SCHEMAS:
            continue
        table = node.get("alias") or node["name"]
        rows += [(node["schema"], table, name, col.get("description") or "")
                 for name, col in node.get("columns", {}).items()]
    return rows


class PublishConfig(dg.Config):
    full: bool = Field(
        default=False,
        description="Write the serving file whole instead of starting from a copy of the "
                    "previous one (see the asset's description); the result is the same.")


def _code_location_graph(context: dg.AssetExecutionContext):
    """The whole asset graph with every check: a run's own graph only holds the checks it
    selected (none, when publishing alone)."""
    try:
        return context.repository_def.asset_graph
    except CheckError:  # executed in process without a repository (loyalty run, tests)
        from orchestration.definitions import defs
        return defs().resolve_asset_graph()


@dg.asset(
    key=SERVING_KEY,
    group_name="publish",
    description=(
        "The file BI tools open: `LOYALTY_SERVING_DIR/loyalty.duckdb` (default "
        "`data/serving/`), one table per mart, score and output table (schemas "
        f"{', '.join(SERVING_SCHEMAS)}; no raw, quarantine or staging data, no personal data), "
        f"written in DuckDB storage format {STORAGE_VERSION} so DuckDB 1.5+ drivers open it, "
        "plus the same tables as Parquet under `parquet/<schema>/<table>/`. Write-audit-"
        "publish: it runs only when every blocking check upstream passed (in this run, and "
        "in the latest evaluation of every partition), writes a new file, re-reads every "
        "table from it and compares row counts with the warehouse, and only then renames it "
        "over the old one. A BI client with the old file open keeps working and sees the new "
        "data after reconnecting. A daily publication starts from a copy of the previous "
        "file and replaces only the slices (days, months, as-of dates: the table's first "
        "date column) whose rows changed, and hard-links unchanged Parquet; the audit then "
        "also compares every patched slice's row hashes with the warehouse (config "
        "`full: true` writes it whole). `serving_meta.publication`, `serving_meta.tables` "
        "and `serving_meta.data_dictionary` describe what was published."
    ),
    deps=[*_published_dbt_keys(), *PYTHON_TABLES],
    kinds={"duckdb", "parquet"},
    owners=[OWNER],
    pool=WAREHOUSE_POOL,
    tags={"layer": "publish"},
    freshness_policy=MART_FRESHNESS,
)
def loyalty_db(context: dg.AssetExecutionContext, storage: LoyaltyStorage,
               config: PublishConfig) -> dg.MaterializeResult:
    target = Path(storage.serving_dir) / SERVING_FILE
    failed = failed_blocking_checks(context.instance, _code_location_graph(context),
                                    [SERVING_KEY])
    if failed:
        shown = "\n".join(f"- {name}" for name in failed[:50])
        raise dg.Failure(
            description=(f"Not published: {len(failed)} blocking check(s) failed in their "
                         f"latest evaluation, so {target} was left exactly as it was. Fix the "
                         f"data and re-run the partitions named:\n{shown}"),
            metadata={"failed_blocking_checks": len(failed)},
            allow_retries=False,
        )
    context.log.info(release_unused_memory().describe())  # publishing opens a capped DuckDB
    publication = publish(Path(storage.warehouse_path), Path(storage.serving_dir),
                          run_id=context.run.run_id, dictionary=dbt_dictionary(),
                          full=config.full)
    how = "patched a copy of the previous file" if publication.incremental else "written whole"
    say = context.log.warning if publication.fallback else context.log.info
    say(f"published {len(publication.tables)} tables to {publication.path}: "
        f"{how} ({publication.reason})")
    rows = "\n".join(f"| {name} | {count:,} | {publication.changes[name]} | "
                     f"{publication.seconds[name][0]:.1f} | {publication.seconds[name][1]:.1f} |"
                     for name, count in publication.tables.items())
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(publication.path)),
        "parquet": dg.MetadataValue.path(str(publication.parquet_dir)),
        "tables": len(publication.tables),
        "dagster/row_count": sum(publication.tables.values()),
        "size_mib": round(publication.size_bytes / 2**20, 1),
        "storage_version": STORAGE_VERSION,
        "published_at": publication.published_at.isoformat(),
        "incremental": publication.incremental,
        "how": publication.reason,
        "row_counts": dg.MetadataValue.md(
            "| table | rows | publication | file s | Parquet s |\n|---|---|---|---|---|\n"
            + rows),
        **{f"{step} s": round(seconds, 1) for step, seconds in publication.steps.items()},
    })

