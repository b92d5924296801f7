"""RFM scores per member and as-of date (scores.member_rfm)."""


import dagster as dg

from orchestration.defs.dbt.assets import dbt_asset_key
from orchestration.defs.partitions import daily_partitions, days_of, single_run
from orchestration.lib.metadata import markdown_table
from orchestration.lib.rfm import WINDOW_DAYS, rfm_scores
from orchestration.lib.storage import WAREHOUSE_POOL, LoyaltyStorage

OWNER = "team:crm-analytics"


@dg.asset(
    key=["scores", "member_rfm"],
    group_name="scoring",
    description=(
        "RFM scores, one row per member per as-of date (the partition day), in "
        "`scores.member_rfm`. Recency = days since the last purchase, frequency = "
        "purchases (till receipts and online orders) and monetary = net spend (after "
        f"refunds) in the {WINDOW_DAYS} days up to "
        "the as-of date; each scored 1-5 by quintile among members who bought in that window. "
        "The segment comes from the editable grid `reference.rfm_segments`."
    ),
    partitions_def=daily_partitions,
    backfill_policy=single_run,
    deps=[dbt_asset_key("fct_member_daily_sales"),
          dbt_asset_key("rfm_segments")],
    kinds={"python", "duckdb"},
    owners=[OWNER],
    pool=WAREHOUSE_POOL,
)
def member_rfm(context: dg.AssetExecutionContext,
               storage: LoyaltyStorage) -> dg.MaterializeResult:
    days = days_of(context)
    with storage.connect() as con:
        grid = con.execute("select * from reference.rfm_segments").fetchdf()
        daily = con.execute(
            "select member_id, sales_date, purchases, net_spend from marts.fct_member_daily_sales "
            "where sales_date > $first - interval (cast($window as integer)) day "
            "and sales_date <= $last",
            {"first": days[0], "last": days[-1], "window": WINDOW_DAYS},
        ).fetchdf()
        con.execute("create schema if not exists scores")
        con.execute("""
            create table if not exists scores.member_rfm (
                member_id varchar not null, as_of_date date not null,
                recency_days integer, frequency integer, monetary decimal(18, 2),
                recency_score tinyint, frequency_score tinyint, monetary_score tinyint,
                frequency_monetary_score tinyint, rfm_cell varchar, rfm_segment varchar,
                primary key (member_id, as_of_date))
        """)
        total = 0
        for day in days:
            scores = rfm_scores(daily, day, grid)  # noqa: F841 - read by DuckDB below
            con.execute("begin")
            con.execute("delete from scores.member_rfm where as_of_date = $d", {"d": day})
            con.execute("insert into scores.member_rfm by name select * from scores")
            con.execute("commit")
            total += len(scores)
        last = con.execute(
            "select rfm_segment, count(*) as members from scores.member_rfm "
            "where as_of_date = $d group by 1 order by 2 desc", {"d": days[-1]}).fetchdf()
    return dg.MaterializeResult(metadata={
        "as_of_dates": len(days),
        "last_as_of_date": days[-1].isoformat(),
        "rows_written": total,
        "members_scored_last_day": int(last["members"].sum()) if not last.empty else 0,
        "segments_last_day": dg.MetadataValue.md(markdown_table(last, max_rows=20)),
    })
