"""Member segments with a next best action (outputs.member_segments) and their monthly
migrations (outputs.segment_migrations_monthly)."""


import dagster as dg

from orchestration.defs.dbt.assets import dbt_asset_key
from orchestration.defs.partitions import daily_partitions, days_of, single_run
from orchestration.lib.metadata import markdown_table
from orchestration.lib.storage import WAREHOUSE_POOL, LoyaltyStorage

OWNER = "team:crm-analytics"

COLUMNS = {
    "member_id": "varchar not null", "as_of_date": "date not null",
    "rfm_segment": "varchar", "rfm_cell": "varchar", "tier_held": "varchar",
    "churn_risk_band": "varchar", "value_band": "varchar", "shopper_profile": "varchar",
    "tier_nudge": "varchar", "segment": "varchar", "has_marketing_consent": "boolean",
    "next_best_action": "varchar", "action_detail": "varchar", "action_rule": "varchar",
}

SEGMENTS_SQL = """
with scores as (
    select * from scores.member_scores where as_of_date = $d
),
lines as (
    select l.member_id, l.net_amount, l.discount_amount, l.payment_method, l.purchase_id,
           l.quantity, l.unit_price, coalesce(p.is_private_label, false) as is_private_label
    from intermediate.int_sales_lines as l
    left join staging.stg_pos__products as p on l.product_id = p.product_id
    where l.member_id is not null and not l.is_return
      and l.sales_date > $d - interval 365 day and l.sales_date <= $d
),
habits as (
    select
        member_id,
        sum(discount_amount) / nullif(sum(net_amount + discount_amount), 0) as discount_share,
        count(distinct case when payment_method in ('points', 'voucher') then purchase_id end)
            / count(distinct purchase_id) as points_or_voucher_share,
        sum(case when is_private_label then net_amount else 0 end) / nullif(sum(net_amount), 0)
            as private_label_share,
        sum(unit_price * quantity) / nullif(sum(quantity), 0) as average_unit_price
    from lines
    group by member_id
),
profiles as (
    select
        member_id,
        case
            -- buys on promotion: a tenth of the shelf value discounted, or a third of the
            -- purchases paid with points or vouchers
            when discount_share >= 0.10 or points_or_voucher_share >= 0.33 then 'price_sensitive'
            -- pays for quality: dear items (top quartile of members), hardly any own brand
            when average_unit_price >= quantile_cont(average_unit_price, 0.75) over ()
                 and coalesce(private_label_share, 0) < 0.05 then 'quality_seeker'
            else 'mainstream'
        end as shopper_profile
    from habits
),
base as (
    select
        scores.member_id, scores.as_of_date, scores.rfm_segment, scores.rfm_cell,
        members.tier_held, scores.churn_risk_band, scores.value_band,
        coalesce(profiles.shopper_profile, 'mainstream') as shopper_profile,
        nudges.nudge_type as tier_nudge,
        members.has_marketing_consent
    from scores
    join marts.dim_members as members using (member_id)
    left join profiles using (member_id)
    left join marts.tier_nudges as nudges
        on nudges.member_id = scores.member_id and nudges.as_of_date = scores.as_of_date
),
matches as (
    select
        base.member_id, rules.priority, rules.next_best_action, rules.action_detail,
        row_number() over (partition by base.member_id order by rules.priority) as rank
    from base
    join reference.next_best_action_rules as rules
      on (rules.rfm_segment = '*' or rules.rfm_segment = base.rfm_segment)
     and (rules.tier_held = '*' or rules.tier_held = base.tier_held)
     and (rules.churn_risk_band = '*' or rules.churn_risk_band = base.churn_risk_band)
     and (rules.value_band = '*' or rules.value_band = base.value_band)
     and (rules.shopper_profile = '*' or rules.shopper_profile = base.shopper_profile)
     and (rules.tier_nudge = '*' or rules.tier_nudge = base.tier_nudge)
)
select
    base.*,
    concat_ws(' · ', base.rfm_segment, base.tier_held,
              coalesce(base.churn_risk_band, 'unscored') || ' risk',
              coalesce(base.value_band, 'unscored') || ' value') as segment,
    coalesce(matches.next_best_action, defaults.next_best_action) as next_best_action,
    coalesce(matches.action_detail, defaults.action_detail) as action_detail,
    case when matches.priority is not null then 'rule ' || matches.priority
         else 'segment default' end as action_rule
from base
left join matches on matches.member_id = base.member_id and matches.rank = 1
left join reference.segment_actions as defaults on defaults.rfm_segment = base.rfm_segment
"""

MIGRATIONS_SQL = """
create or replace table outputs.segment_migrations_monthly as
with month_ends as (
    -- the last scored day of each month stands for the month
    select max(as_of_date) as as_of_date from outputs.member_segments
    group by date_trunc('month', as_of_date)
),
snapshots as (
    select date_trunc('month', s.as_of_date)::date as month_start_date, s.member_id,
           s.rfm_segment
    from outputs.member_segments as s join month_ends using (as_of_date)
),
pairs as (
    select cur.month_start_date, coalesce(prev.rfm_segment, '(not scored)') as from_segment,
           cur.rfm_segment as to_segment
    from snapshots as cur
    left join snapshots as prev
      on prev.member_id = cur.member_id
     and prev.month_start_date = cur.month_start_date - interval 1 month
)
select month_start_date, from_segment, to_segment, count(*) as members,
       from_segment = to_segment as is_same_segment
from pairs
group by all
order by all
"""


@dg.asset(
    key=["outputs", "member_segments"],
    group_name="outputs",
    description=(
        "One row per scored member per as-of date in `outputs.member_segments` (the segment "
        "history): RFM segment crossed with tier held, churn-risk band and CLV value band, the "
        "shopper profile (price_sensitive: ≥10% of shelf value discounted or a third of "
        "purchases paid with points/vouchers; quality_seeker: top-quartile unit prices and "
        "<5% own brand; else mainstream), the tier nudge if any, marketing consent, and the "
        "next best action: the first matching rule of `reference.next_best_action_rules` "
        "(editable by the CRM team), else the RFM segment's default in "
        "`reference.segment_actions`. Also rebuilds `outputs.segment_migrations_monthly`: "
        "members moving from one RFM segment to another between month-end snapshots. No "
        "personal data."
    ),
    partitions_def=daily_partitions,
    backfill_policy=single_run,
    deps=[dg.AssetKey(["scores", "member_scores"]), dbt_asset_key("dim_members"),
          dbt_asset_key("tier_nudges"), dbt_asset_key("int_sales_lines"),
          dbt_asset_key("segment_actions"), dbt_asset_key("next_best_action_rules")],
    kinds={"python", "duckdb"},
    owners=[OWNER],
    pool=WAREHOUSE_POOL,
)
def member_segments(context: dg.AssetExecutionContext,
                    storage: LoyaltyStorage) -> dg.MaterializeResult:
    days = days_of(context)
    cols = ", ".join(f"{name} {sql_type}" for name, sql_type in COLUMNS.items())
    with storage.connect() as con:
        con.execute("create schema if not exists outputs")
        con.execute(f"create table if not exists outputs.member_segments ({cols}, "
                    "primary key (member_id, as_of_date))")
        for name, sql_type in COLUMNS.items():  # tables created by earlier versions
            con.execute(f"alter table outputs.member_segments add column if not exists "
                        f"{name} {sql_type.replace(' not null', '')}")
        for day in days:
            con.execute("begin")
            con.execute("delete from outputs.member_segments where as_of_date = $d", {"d": day})
            con.execute(f"insert into outputs.member_segments by name {SEGMENTS_SQL}", {"d": day})
            con.execute("commit")
        con.execute(MIGRATIONS_SQL)
        sizes = con.execute("""
            select rfm_segment, next_best_action, count(*) as members,
                   sum(case when has_marketing_consent then 1 else 0 end) as contactable
            from outputs.member_segments where as_of_date = $d
            group by 1, 2 order by 3 desc
        """, {"d": days[-1]}).fetchdf()
        actions = con.execute("""
            select next_best_action, action_rule, count(*) as members
            from outputs.member_segments where as_of_date = $d group by 1, 2 order by 3 desc
        """, {"d": days[-1]}).fetchdf()
    return dg.MaterializeResult(metadata={
        "last_as_of_date": days[-1].isoformat(),
        "dagster/row_count": int(sizes["members"].sum()) if not sizes.empty else 0,
        "segment_sizes": dg.MetadataValue.md(markdown_table(sizes, max_rows=30)),
        "actions": dg.MetadataValue.md(markdown_table(actions, max_rows=30)),
    })
