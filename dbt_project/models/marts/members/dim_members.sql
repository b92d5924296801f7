-- One row per member: profile without personal data, programme status and purchase history.
with

members as (
    select * from {{ ref('stg_crm__members') }}
),

sales as (
    select * from {{ ref('fct_member_daily_sales') }}
),

as_of as (
    -- the latest business day in the data: ages and 12-month windows are measured from it,
    -- so a rebuild of the same data gives the same table
    select max(sales_date) as as_of_date from sales
),

history as (
    select
        sales.member_id,
        min(case when sales.receipts > 0 then sales.sales_date end) as first_purchase_date,
        max(case when sales.receipts > 0 then sales.sales_date end) as last_purchase_date,
        sum(sales.receipts) as receipts,
        sum(sales.return_receipts) as return_receipts,
        sum(sales.lines_returned) as lines_returned,
        sum(sales.gross_spend) as lifetime_gross_spend,
        sum(sales.refunded_amount) as lifetime_refunded_amount,
        sum(sales.net_spend) as lifetime_net_spend,
        sum(
            case
                when sales.sales_date > {{ dbt.dateadd('day', -365, 'as_of.as_of_date') }}
                    then sales.net_spend
                else 0
            end
        ) as net_spend_last_365d
    from sales
    cross join as_of
    group by sales.member_id
),

final as (
    select
        -- ids
        members.member_id,
        -- profile (generalised)
        members.gender,
        case
            when members.birth_year is null then 'unknown'
            when year(as_of.as_of_date) - members.birth_year < 25 then '18-24'
            when year(as_of.as_of_date) - members.birth_year < 35 then '25-34'
            when year(as_of.as_of_date) - members.birth_year < 45 then '35-44'
            when year(as_of.as_of_date) - members.birth_year < 55 then '45-54'
            when year(as_of.as_of_date) - members.birth_year < 65 then '55-64'
            else '65+'
        end as age_band,
        members.city,
        members.postcode_district,
        -- programme
        members.enrolment_channel,
        members.enrolled_at,
        members.tier as tier_held,
        members.member_status,
        members.has_marketing_consent,
        (members.card_id is not null) as has_card,
        (members.online_account_id is not null) as has_online_account,
        -- purchase history
        history.first_purchase_date,
        history.last_purchase_date,
        coalesce(history.receipts, 0) as receipts,
        coalesce(history.return_receipts, 0) as return_receipts,
        coalesce(history.lines_returned, 0) as lines_returned,
        coalesce(history.lifetime_gross_spend, 0) as lifetime_gross_spend,
        coalesce(history.lifetime_refunded_amount, 0) as lifetime_refunded_amount,
        coalesce(history.lifetime_net_spend, 0) as lifetime_net_spend,
        coalesce(history.net_spend_last_365d, 0) as net_spend_last_365d,
        case
            when coalesce(history.receipts, 0) > 0
                then history.lifetime_gross_spend / history.receipts
        end as average_basket_value,
        as_of.as_of_date
    from members
    cross join as_of
    left join history on members.member_id = history.member_id
)

select * from final
