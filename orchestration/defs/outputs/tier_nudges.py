"""The tier nudge list as an output (outputs.tier_nudges), kept per as-of date."""


import dagster as dg

from orchestration.defs.dbt.assets import dbt_asset_key
from orchestration.defs.partitions import daily_partitions, days_of, single_run
from orchestration.lib.metadata import markdown_table
from orchestration.lib.storage import WAREHOUSE_POOL, LoyaltyStorage

OWNER = "team:loyalty-programme"

NUDGES_SQL = """
select
    nudges.member_id, nudges.as_of_date, nudges.nudge_type, nudges.target_tier,
    nudges.amount_to_spend, nudges.nudge_message, nudges.lapse_date, nudges.tier_held,
    nudges.qualified_tier, nudges.has_marketing_consent, segments.next_best_action
from marts.tier_nudges as nudges
left join outputs.member_segments as segments using (member_id, as_of_date)
where nudges.as_of_date = $d
"""


@dg.asset(
    key=["outputs", "tier_nudges"],
    group_name="outputs",
    description=(
        "One row per member on the tier nudge list per as-of date in `outputs.tier_nudges`: "
        "members close to the next tier (\"120 away from gold\") or whose tier lapses within "
        "30 days if they buy nothing, with the message, the amount to spend, consent and the "
        "member's next best action. The list comes from the mart `tier_nudges`, which is "
        "measured as of the latest business day with sales: a backfill of an earlier as-of "
        "date finds no list for it and writes none (the metadata says so)."
    ),
    partitions_def=daily_partitions,
    backfill_policy=single_run,
    deps=[dbt_asset_key("tier_nudges"), dg.AssetKey(["outputs", "member_segments"])],
    kinds={"python", "duckdb"},
    owners=[OWNER],
    pool=WAREHOUSE_POOL,
)
def tier_nudges(context: dg.AssetExecutionContext,
                storage: LoyaltyStorage) -> dg.MaterializeResult:
    days = days_of(context)
    with storage.connect() as con:
        con.execute("create schema if not exists outputs")
        con.execute(f"create table if not exists outputs.tier_nudges as {NUDGES_SQL} limit 0",
                    {"d": days[-1]})
        for day in days:
            con.execute("begin")
            con.execute("delete from outputs.tier_nudges where as_of_date = $d", {"d": day})
            con.execute(f"insert into outputs.tier_nudges by name {NUDGES_SQL}", {"d": day})
            con.execute("commit")
        [(mart_as_of,)] = con.execute("select max(as_of_date) from marts.tier_nudges").fetchall()
        sizes = con.execute("""
            select nudge_type, target_tier, count(*) as members,
                   sum(case when has_marketing_consent then 1 else 0 end) as contactable
            from outputs.tier_nudges where as_of_date = $d group by 1, 2 order by 1, 2
        """, {"d": days[-1]}).fetchdf()
    skipped = [d.isoformat() for d in days if d != mart_as_of]
    return dg.MaterializeResult(metadata={
        "last_as_of_date": days[-1].isoformat(),
        "dagster/row_count": int(sizes["members"].sum()) if not sizes.empty else 0,
        "nudges": dg.MetadataValue.md(markdown_table(sizes)),
        "days_without_a_list": dg.MetadataValue.json(skipped[:31]),
    })
