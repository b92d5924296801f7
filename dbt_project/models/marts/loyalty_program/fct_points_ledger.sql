-- One row per points ledger entry, with the signed amount split by entry type and the
-- member's running balance after the entry.
with

entries as (
    select * from {{ ref('stg_crm__points_entries') }}
),

final as (
    select
        -- ids
        entry_id,
        member_id,
        coalesce(transaction_id, order_id) as purchase_id,
        transaction_id,
        order_id,
        -- attributes
        entry_type,
        reason,
        case
            when transaction_id is not null then 'pos'
            when order_id is not null then 'online'
        end as purchase_source,
        -- points (signed: the four splits add up to points)
        points,
        case when entry_type = 'earn' then points else 0 end as earned_points,
        case when entry_type = 'redeem' then points else 0 end as redeemed_points,
        case when entry_type = 'expire' then points else 0 end as expired_points,
        case when entry_type = 'adjust' then points else 0 end as adjusted_points,
        cast(
            sum(points) over (
                partition by member_id
                order by entry_at, entry_id
                rows between unbounded preceding and current row
            ) as bigint
        ) as running_balance,
        -- timestamps
        entry_at,
        entry_date
    from entries
)

select * from final
