-- One row per member per business day with a purchase or a return.
with

lines as (
    select * from {{ ref('int_sales_lines_identified') }}
    where member_id is not null
),

daily as (
    select
        -- ids
        member_id,
        -- dates
        transaction_date as sales_date,
        -- counts
        count(distinct case when not is_return then transaction_id end) as receipts,
        count(distinct case when is_return then transaction_id end) as return_receipts,
        sum(case when not is_return then 1 else 0 end) as lines_bought,
        sum(case when is_return then 1 else 0 end) as lines_returned,
        -- amounts
        sum(case when not is_return then net_amount else 0 end) as gross_spend,
        -sum(case when is_return then net_amount else 0 end) as refunded_amount,
        sum(net_amount) as net_spend
    from lines
    group by member_id, transaction_date
)

select * from daily
