"""Member scores per as-of date (scores.member_scores) and the model registry."""

import json

import dagster as dg
import pandas as pd

from orchestration.defs.dbt.assets import dbt_asset_key
from orchestration.defs.partitions import daily_partitions, days_of, single_run
from orchestration.lib import member_scores as ms
from orchestration.lib.gx_runner import run_suite
from orchestration.lib.loyalty_index import __doc__ as LOYALTY_INDEX_DOC
from orchestration.lib.memory import release_unused_memory
from orchestration.lib.metadata import markdown_table
from orchestration.lib.scoring_checks import population_stability
from orchestration.lib.storage import WAREHOUSE_POOL, LoyaltyStorage

OWNER = "team:crm-analytics"
SUITE = "scores_member_scores"
MARTS_READ = ["fct_member_daily_sales", "int_sales_lines", "fct_survey_responses",
              "fct_touchpoints", "int_web_sessions", "fct_points_ledger", "stg_crm__members",
              "stg_crm__member_versions", "stg_pos__products"]

REGISTRY_DDL = """
create table if not exists scores.model_registry (
    model_name varchar not null, model_version varchar not null, fitted_as_of date not null,
    parameters varchar, backtest varchar, primary key (model_name, model_version))
"""


def _ddl() -> str:
    cols = ",\n    ".join(f"{name} {sql_type}" for name, sql_type in ms.SCORE_COLUMNS.items())
    return (f"create table if not exists scores.member_scores (\n    {cols},\n"
            "    primary key (member_id, as_of_date))")


def _backtest_table(backtest: dict) -> str:
    rows = [{"scorer": name, **{k: round(v, 4) for k, v in metrics.items()
                                if not isinstance(v, list)}}
            for name, metrics in backtest.items()]
    return markdown_table(pd.DataFrame(rows))


@dg.asset(
    key=["scores", "member_scores"],
    group_name="scoring",
    description=(
        "One row per member per as-of date (the partition day) in `scores.member_scores`: "
        "RFM (from `scores.member_rfm`); the loyalty index and its satisfaction, trust and "
        "emotion components; BG/NBD probability of being alive and expected purchases in "
        "90 and 365 days; Gamma-Gamma expected spend and 12-month CLV with a p10-p90 "
        "interval; CLV value band (terciles); churn probability (no purchase in the next 90 "
        "days), risk band and the top reasons in words. Models are refitted weekly (data up "
        "to the Monday of the as-of week) and every row names the model versions; fits and "
        "backtests are kept in `scores.model_registry`. Only data dated on or before the "
        "as-of date is read, so a backfill recomputes history. A day costs about 10 s on "
        "the demo data, plus a model fit (about 15 s) once a week.\n\n"
        + (LOYALTY_INDEX_DOC or "")
    ),
    partitions_def=daily_partitions,
    backfill_policy=single_run,
    deps=[dg.AssetKey(["scores", "member_rfm"]), *(dbt_asset_key(m) for m in MARTS_READ)],
    kinds={"python", "duckdb", "scikit-learn"},
    owners=[OWNER],
    pool=WAREHOUSE_POOL,
)
def member_scores(context: dg.AssetExecutionContext,
                  storage: LoyaltyStorage) -> dg.MaterializeResult:
    days = days_of(context)
    value_models: dict = {}
    churn_models: dict = {}
    context.log.info(release_unused_memory().describe())  # before a capped DuckDB and pandas
    with storage.connect() as con:
        con.execute("create schema if not exists scores")
        con.execute(_ddl())
        con.execute(REGISTRY_DDL)
        [(first_sales_date,)] = con.execute(
            "select min(sales_date) from marts.fct_member_daily_sales").fetchall()
        total = 0
        for day in days:
            cut_off = ms.fit_date(day)
            if cut_off not in value_models:
                value_models[cut_off] = ms.fit_value_model(con, cut_off)
                churn_models[cut_off] = (ms.fit_churn_model(con, cut_off, first_sales_date)
                                         if first_sales_date else None)
                for model in (value_models[cut_off], churn_models[cut_off]):
                    if model is not None:
                        row = model.registry_row()
                        con.execute(
                            "insert or replace into scores.model_registry (model_name, "
                            "model_version, fitted_as_of, parameters, backtest) "
                            "values ($model_name, $model_version, $fitted_as_of, $parameters, "
                            "$backtest)", row)
            rfm = con.execute("select * from scores.member_rfm where as_of_date = $d",
                              {"d": day}).fetchdf()
            scores = ms.member_scores(con, day, rfm, value_models[cut_off],  # noqa: F841
                                      churn_models[cut_off])
            con.execute("begin")
            con.execute("delete from scores.member_scores where as_of_date = $d", {"d": day})
            con.execute("insert into scores.member_scores by name select * from scores")
            con.execute("commit")
            total += len(rfm)
        last = days[-1]
        summary = con.execute("""
            select count(*) as members, round(avg(loyalty_index), 1) as mean_loyalty_index,
                   round(avg(probability_alive), 3) as mean_probability_alive,
                   round(sum(clv_12m), 0) as total_clv_12m,
                   round(avg(churn_probability), 3) as mean_churn_probability
            from scores.member_scores where as_of_date = $d
        """, {"d": last}).fetchdf()
        bands = con.execute("""
            select churn_risk_band, count(*) as members, round(avg(churn_probability), 3)
                   as mean_probability
            from scores.member_scores where as_of_date = $d group by 1 order by 3
        """, {"d": last}).fetchdf()
    value_model, churn_model = value_models[ms.fit_date(last)], churn_models[ms.fit_date(last)]
    metadata = {
        "dagster/row_count": total,
        "last_as_of_date": last.isoformat(),
        "summary_last_day": dg.MetadataValue.md(markdown_table(summary)),
        "churn_risk_bands": dg.MetadataValue.md(markdown_table(bands)),
        "clv_model_version": value_model.version if value_model else
        "not fitted: fewer than 30 repeat buyers",
        "churn_model_version": churn_model.version if churn_model else
        f"not fitted: needs {2 * ms.CHURN_HORIZON_DAYS} days of history before the fit date",
    }
    if churn_model is not None:
        result = churn_model.result
        metadata["churn_backtest"] = dg.MetadataValue.md(
            f"Trained on features at {result.train_cutoff}, tested on features at "
            f"{result.test_cutoff} against purchases up to {result.as_of} "
            f"({result.horizon_days}-day horizon).\n\n"
            + _backtest_table(result.backtest_summary()))
        metadata["churn_calibration"] = dg.MetadataValue.md(
            markdown_table(result.calibration["model"].round(3)))
    if value_model is not None:
        metadata["bgnbd_parameters"] = dg.MetadataValue.json(
            {k: float(v) for k, v in vars(value_model.bgnbd).items()})
    return dg.MaterializeResult(metadata=metadata)


@dg.asset_check(
    asset=dg.AssetKey(["scores", "member_scores"]),
    name="great_expectations",
    blocking=True,
    description=f"Great Expectations suite `expectations/{SUITE}.json`: one row per member "
                "and date, probabilities in 0-1, index components in 0-100, bands from "
                "their lists, p10 ≤ CLV ≤ p90. Blocking: outputs and exports read these scores.",
)
def member_scores_suite(context: dg.AssetCheckExecutionContext,
                        storage: LoyaltyStorage) -> dg.AssetCheckResult:
    days = days_of(context)
    with storage.connect(read_only=True) as con:
        df = con.execute("select * from scores.member_scores where as_of_date between $a and $b",
                         {"a": days[0], "b": days[-1]}).fetchdf()
    outcome = run_suite(df, SUITE)
    return dg.AssetCheckResult(passed=outcome.success, metadata=outcome.metadata())


@dg.asset_check(
    asset=dg.AssetKey(["scores", "member_scores"]),
    name="score_drift",
    blocking=False,
    description="Population stability index of churn probability and 12-month CLV between "
                "the last as-of date and the one before it. WARN above 0.2 (a shift worth a "
                "look: new data, a refit, or a real change in behaviour).",
)
def score_drift(context: dg.AssetCheckExecutionContext,
                storage: LoyaltyStorage) -> dg.AssetCheckResult:
    last = days_of(context)[-1]
    with storage.connect(read_only=True) as con:
        frame = con.execute("""
            select as_of_date, churn_probability, clv_12m from scores.member_scores
            where as_of_date = $d or as_of_date = (
                select max(as_of_date) from scores.member_scores where as_of_date < $d)
        """, {"d": last}).fetchdf()
    previous = frame[frame["as_of_date"].dt.date < last]
    current = frame[frame["as_of_date"].dt.date == last]
    if previous.empty:
        return dg.AssetCheckResult(passed=True, metadata={
            "note": "no earlier as-of date to compare with yet"})
    psi = {col: population_stability(previous[col].dropna(), current[col].dropna())
           for col in ("churn_probability", "clv_12m")}
    worst = max((v for v in psi.values() if v is not None), default=0.0)
    return dg.AssetCheckResult(passed=worst <= 0.2, severity=dg.AssetCheckSeverity.WARN,
                               metadata={f"psi_{k}": v for k, v in psi.items()})


@dg.asset_check(
    asset=dg.AssetKey(["scores", "member_scores"]),
    name="churn_model_beats_baselines",
    blocking=False,
    description="The churn model's held-out ROC AUC and PR AUC beat both baselines on the "
                "same split (recency alone, BG/NBD probability alive). WARN when not: the "
                "model is not earning its complexity.",
)
def churn_model_beats_baselines(context: dg.AssetCheckExecutionContext,
                                storage: LoyaltyStorage) -> dg.AssetCheckResult:
    last = days_of(context)[-1]
    with storage.connect(read_only=True) as con:
        rows = con.execute("""
            select r.backtest from scores.model_registry as r
            join (select distinct churn_model_version from scores.member_scores
                  where as_of_date = $d) as s on r.model_version = s.churn_model_version
        """, {"d": last}).fetchall()
    if not rows or rows[0][0] is None:
        return dg.AssetCheckResult(passed=True, metadata={
            "note": "no churn model for this date (not enough history)"})
    scores = json.loads(rows[0][0])
    model = scores["model"]
    beaten = {name: model["roc_auc"] > s["roc_auc"] and model["pr_auc"] > s["pr_auc"]
              for name, s in scores.items() if name != "model"}
    return dg.AssetCheckResult(
        passed=all(beaten.values()), severity=dg.AssetCheckSeverity.WARN,
        metadata={"beats": dg.MetadataValue.json(beaten),
                  "roc_auc": dg.MetadataValue.json({k: v["roc_auc"] for k, v in scores.items()}),
                  "pr_auc": dg.MetadataValue.json({k: v["pr_auc"] for k, v in scores.items()})})

