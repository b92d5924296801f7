"""Member segments with a next best action (outputs.member_segments)."""


import dagster as dg

from orchestration.defs.dbt.assets import dbt_asset_key
from orchestration.defs.partitions import daily_partitions, days_of, single_run
from orchestration.lib.metadata import markdown_table
from orchestration.lib.storage import WAREHOUSE_POOL, LoyaltyStorage

OWNER = "team:crm-analytics"


@dg.asset(
    key=["outputs", "member_segments"],
    group_name="outputs",
    description=(
        "One row per scored member per as-of date in `outputs.member_segments`: the RFM "
        "segment, the tier the member holds, marketing consent and the next best action from "
        "the CRM team's table `reference.segment_actions`. No personal data."
    ),
    partitions_def=daily_partitions,
    backfill_policy=single_run,
    deps=[dg.AssetKey(["scores", "member_rfm"]), dbt_asset_key("dim_members"),
          dbt_asset_key("segment_actions")],
    kinds={"python", "duckdb"},
    owners=[OWNER],
    pool=WAREHOUSE_POOL,
)
def member_segments(context: dg.AssetExecutionContext,
                    storage: LoyaltyStorage) -> dg.MaterializeResult:
    days = days_of(context)
    with storage.connect() as con:
        con.execute("create schema if not exists outputs")
        con.execute("""
            create table if not exists outputs.member_segments (
                member_id varchar not null, as_of_date date not null, rfm_segment varchar,
                rfm_cell varchar, tier_held varchar, has_marketing_consent boolean,
                next_best_action varchar, action_detail varchar,
                primary key (member_id, as_of_date))
        """)
        con.execute("begin")
        con.execute("delete from outputs.member_segments where as_of_date between $a and $b",
                    {"a": days[0], "b": days[-1]})
        con.execute("""
            insert into outputs.member_segments by name
            select
                rfm.member_id, rfm.as_of_date, rfm.rfm_segment, rfm.rfm_cell,
                members.tier_held, members.has_marketing_consent,
                actions.next_best_action, actions.action_detail
            from scores.member_rfm as rfm
            join marts.dim_members as members using (member_id)
            left join reference.segment_actions as actions using (rfm_segment)
            where rfm.as_of_date between $a and $b
        """, {"a": days[0], "b": days[-1]})
        con.execute("commit")
        sizes = con.execute("""
            select rfm_segment, next_best_action, count(*) as members,
                   count(*) filter (where has_marketing_consent) as contactable
            from outputs.member_segments where as_of_date = $d
            group by 1, 2 order by 3 desc
        """, {"d": days[-1]}).fetchdf()
    return dg.MaterializeResult(metadata={
        "last_as_of_date": days[-1].isoformat(),
        "members_last_day": int(sizes["members"].sum()) if not sizes.empty else 0,
        "segment_sizes": dg.MetadataValue.md(markdown_table(sizes, max_rows=20)),
    })
