"""dbt models, seeds and tests as Dagster assets and asset checks.

Incremental (partitioned) models run in their own ``@dbt_assets`` with the partition
window as dbt vars; everything else is one unpartitioned ``@dbt_assets``. dbt tests arrive
as asset checks (blocking when their severity is error).
"""


import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from orchestration.defs.dbt.project import dbt_project
from orchestration.defs.partitions import daily_partitions, single_run
from orchestration.lib.dbt_vars import lookback_days, partitioned_dbt_vars, vars_arg
from orchestration.lib.memory import release_unused_memory
from orchestration.lib.settings import Settings
from orchestration.lib.spark_engine import expose_spark_tables, spark_dbt_vars
from orchestration.lib.storage import WAREHOUSE_POOL, LoyaltyStorage
from orchestration.lib.warehouse import ensure_lake_views

PARTITIONED = "tag:partitioned"
# duckdb or spark (LOYALTY_ENGINE): the profiles target dbt builds with, shown as the kind
ENGINE = Settings.from_env().engine
OWNER = "team:analytics-engineering"
# The daily run starts at 02:00 and takes minutes: a mart older than a day and a bit means a
# run failed or did not start. Shown on the asset in the UI (stale marts turn red).
MART_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=dt.timedelta(hours=30),
                                               warn_window=dt.timedelta(hours=26))


class LoyaltyTranslator(DagsterDbtTranslator):
    """Groups follow the dbt folders (staging, intermediate, marts_<area>, reference);
    exceptions live in the model's ``meta.dagster``, not in code."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str,
                       project: DbtProject | None) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "source":
            return spec
        meta = props.get("meta", {}).get("dagster", {})
        fqn = props["fqn"]
        if props["resource_type"] == "seed":
            group = "reference"
        elif len(fqn) > 2 and fqn[1] == "marts":
            group = f"marts_{fqn[2]}"
        else:
            group = fqn[1] if len(fqn) > 2 else "dbt"
        return spec.replace_attributes(
            group_name=meta.get("group", group),
            owners=meta.get("owners", [OWNER]),
            freshness_policy=MART_FRESHNESS if group.startswith("marts_") else None,
        ).merge_attributes(kinds={ENGINE}, tags={"layer": group.split("_")[0]})


translator = LoyaltyTranslator()


def _prepare(context: dg.AssetExecutionContext, storage: LoyaltyStorage) -> dict[str, object]:
    """dbt reads the lake through views; (re)create them and point dbt at this warehouse.
    Returns the dbt vars the engine needs (on Spark: the datasets with no files yet).

    dbt's engine is about to take up to its memory cap beside this process: what this
    process no longer uses (left by earlier steps of the same run) is handed back first."""
    context.log.info(release_unused_memory().describe())
    settings = storage.export_dbt_env()
    if settings.uses_demo_pii_key:
        context.log.warning("LOYALTY_PII_KEY is not set: e-mail and phone are hashed with the "
                            "public demo key, which does not protect real personal data")
    with storage.connect() as con:
        ensure_lake_views(con, storage.lake)
    return spark_dbt_vars(storage.lake) if settings.engine == "spark" else {}


def _publish_engine_tables(context: dg.AssetExecutionContext, storage: LoyaltyStorage) -> None:
    """After a Spark build, the Python assets read its tables through DuckDB views over the
    Parquet files Spark wrote (nothing to do after a DuckDB build)."""
    settings = Settings.from_env()
    if settings.engine != "spark":
        return
    with storage.connect() as con:
        exposed = expose_spark_tables(con, settings.spark_dir)
    context.log.info(f"{len(exposed)} Spark tables readable from DuckDB")


def _one_model_at_a_time() -> list[str]:
    """On DuckDB the partitioned models are built one at a time. Each scans its whole window,
    and DuckDB already spreads one query over every core: two side by side share the cores
    and the memory cap, and cost more CPU. A year at 10M till lines: 90 s (170 CPU-s) with
    one dbt thread against 102 s (192 CPU-s) with two; a month took 21-25 s either way, a
    four-day window 1 s more (16 s against 15 s) (bench/RESULTS.md, 2026-12-01). The
    unpartitioned step, many smaller models, stays at the profile's two threads."""
    return ["--threads", "1"] if Settings.from_env().engine == "duckdb" else []


@dbt_assets(
    manifest=dbt_project.manifest_path,
    select=PARTITIONED,
    name="dbt_partitioned_models",
    partitions_def=daily_partitions,
    backfill_policy=single_run,
    dagster_dbt_translator=translator,
    project=dbt_project,
    pool=WAREHOUSE_POOL,
)
def dbt_partitioned_models(context: dg.AssetExecutionContext, dbt: DbtCliResource,
                           storage: LoyaltyStorage) -> Iterator:
    """Incremental models: each run replaces the business days of its partition window."""
    engine_vars = _prepare(context, storage)
    window = context.partition_time_window
    dbt_vars = partitioned_dbt_vars(window.start, window.end, lookback=lookback_days())
    yield from dbt.cli(["build", *_one_model_at_a_time(), *vars_arg({**dbt_vars, **engine_vars})],
                       context=context).stream()
    _publish_engine_tables(context, storage)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    exclude=PARTITIONED,
    name="dbt_models",
    dagster_dbt_translator=translator,
    project=dbt_project,
    pool=WAREHOUSE_POOL,
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource,
               storage: LoyaltyStorage) -> Iterator:
    """Seeds, views and tables rebuilt in full from the staged data."""
    engine_vars = _prepare(context, storage)
    yield from dbt.cli(["build", *(vars_arg(engine_vars) if engine_vars else [])],
                       context=context).stream()
    _publish_engine_tables(context, storage)


def dbt_asset_key(name: str) -> dg.AssetKey:
    """The asset key of a dbt model or seed by its name, for deps of Python assets."""
    matches = [k for k in (*dbt_models.keys, *dbt_partitioned_models.keys) if k.path[-1] == name]
    if len(matches) != 1:
        raise KeyError(f"no single dbt asset named {name!r}: {matches}")
    return matches[0]
