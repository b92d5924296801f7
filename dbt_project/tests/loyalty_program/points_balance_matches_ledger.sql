-- the Dagster asset check belongs to int_member_tier_status
{{ config(meta={'dagster': {'ref': {'name': 'int_member_tier_status'}}}) }}

-- A member's points balance in int_member_tier_status is the sum of their ledger entries.
with

ledger as (
    select
        member_id,
        sum(points) as ledger_points
    from {{ ref('fct_points_ledger') }}
    group by member_id
)

select
    tier_status.member_id,
    tier_status.points_balance,
    ledger.ledger_points
from {{ ref('int_member_tier_status') }} as tier_status
left join ledger on tier_status.member_id = ledger.member_id
where tier_status.points_balance != coalesce(ledger.ledger_points, 0)
