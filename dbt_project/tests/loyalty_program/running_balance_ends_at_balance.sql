-- the Dagster asset check belongs to fct_points_ledger
{{ config(meta={'dagster': {'ref': {'name': 'fct_points_ledger'}}}) }}

-- The running balance after a member's last ledger entry equals their points balance, and
-- the signed splits of every entry add up to its points.
with

ranked as (
    select
        member_id,
        running_balance,
        row_number() over (partition by member_id order by entry_at desc, entry_id desc) as recency_rank
    from {{ ref('fct_points_ledger') }}
),

last_entries as (
    select
        member_id,
        running_balance
    from ranked
    where recency_rank = 1
),

unbalanced_members as (
    select
        last_entries.member_id,
        'final running balance' as failure,
        last_entries.running_balance as ledger_value,
        tier_status.points_balance as expected_value
    from last_entries
    inner join {{ ref('int_member_tier_status') }} as tier_status
        on last_entries.member_id = tier_status.member_id
    where last_entries.running_balance != tier_status.points_balance
),

unbalanced_entries as (
    select
        entry_id as member_id,
        'split columns' as failure,
        earned_points + redeemed_points + expired_points + adjusted_points as ledger_value,
        points as expected_value
    from {{ ref('fct_points_ledger') }}
    where earned_points + redeemed_points + expired_points + adjusted_points != points
)

select * from unbalanced_members
union all
select * from unbalanced_entries
