"""The churn-risk list (outputs.churn_risk): members ranked by value at risk."""


import dagster as dg

from orchestration.defs.partitions import daily_partitions, days_of, single_run
from orchestration.lib.metadata import markdown_table
from orchestration.lib.storage import WAREHOUSE_POOL, LoyaltyStorage

OWNER = "team:crm-analytics"

CHURN_RISK_SQL = """
select
    scores.member_id,
    scores.as_of_date,
    row_number() over (order by scores.churn_probability * scores.clv_12m desc,
                       scores.member_id) as risk_rank,
    scores.churn_probability,
    scores.churn_risk_band,
    scores.clv_12m,
    round(scores.churn_probability * scores.clv_12m, 2) as value_at_risk,
    scores.churn_reasons,
    segments.segment,
    segments.next_best_action,
    segments.action_detail,
    segments.has_marketing_consent
from scores.member_scores as scores
join outputs.member_segments as segments using (member_id, as_of_date)
where scores.as_of_date = $d and scores.churn_probability is not null
  and scores.clv_12m is not null
"""


@dg.asset(
    key=["outputs", "churn_risk"],
    group_name="outputs",
    description=(
        "One row per scored member per as-of date in `outputs.churn_risk`, ranked by value "
        "at risk = churn probability × 12-month CLV (rank 1 = the most value at risk), with "
        "the churn reasons in words, the segment, the next best action and marketing "
        "consent. Empty for a date without a churn model (less than 180 days of history)."
    ),
    partitions_def=daily_partitions,
    backfill_policy=single_run,
    deps=[dg.AssetKey(["scores", "member_scores"]), dg.AssetKey(["outputs", "member_segments"])],
    kinds={"python", "duckdb"},
    owners=[OWNER],
    pool=WAREHOUSE_POOL,
)
def churn_risk(context: dg.AssetExecutionContext,
               storage: LoyaltyStorage) -> dg.MaterializeResult:
    days = days_of(context)
    with storage.connect() as con:
        con.execute("create schema if not exists outputs")
        con.execute(f"create table if not exists outputs.churn_risk as "
                    f"{CHURN_RISK_SQL} limit 0", {"d": days[-1]})
        for day in days:
            con.execute("begin")
            con.execute("delete from outputs.churn_risk where as_of_date = $d", {"d": day})
            con.execute(f"insert into outputs.churn_risk by name {CHURN_RISK_SQL}", {"d": day})
            con.execute("commit")
        top = con.execute("""
            select risk_rank, member_id, round(churn_probability, 3) as churn_probability,
                   round(clv_12m, 0) as clv_12m, value_at_risk, churn_reasons, next_best_action
            from outputs.churn_risk where as_of_date = $d order by risk_rank limit 10
        """, {"d": days[-1]}).fetchdf()
        [(members, at_risk)] = con.execute(
            "select count(*), coalesce(sum(value_at_risk), 0) from outputs.churn_risk "
            "where as_of_date = $d", {"d": days[-1]}).fetchall()
    return dg.MaterializeResult(metadata={
        "last_as_of_date": days[-1].isoformat(),
        "dagster/row_count": members,
        "total_value_at_risk": float(at_risk),
        "top_10": dg.MetadataValue.md(markdown_table(top)),
    })
