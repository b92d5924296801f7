-- One row per member of the loyalty register: profile without personal data, programme
-- status, purchase history (till and online), points and latest satisfaction.
with

members as (
    select * from {{ ref('stg_crm__members') }}
),

daily as (
    select * from {{ ref('fct_member_daily_sales') }}
),

lines as (
    select * from {{ ref('int_sales_lines') }}
    where member_id is not null
),

tier_status as (
    select * from {{ ref('int_member_tier_status') }}
),

surveys as (
    select * from {{ ref('fct_survey_responses') }}
    where member_id is not null
),

as_of as (
    -- the latest business day with sales: 12-month windows end here, so a rebuild of the
    -- same data gives the same table
    select max(sales_date) as as_of_date from lines
),

history as (
    select
        daily.member_id,
        min(case when daily.purchases > 0 then daily.sales_date end) as first_purchase_date,
        max(case when daily.purchases > 0 then daily.sales_date end) as last_purchase_date,
        sum(daily.purchases) as purchases,
        sum(daily.store_purchases) as store_purchases,
        sum(daily.online_purchases) as online_purchases,
        sum(daily.return_events) as return_events,
        sum(daily.lines_returned) as lines_returned,
        sum(daily.gross_spend) as lifetime_gross_spend,
        sum(daily.refunded_amount) as lifetime_refunded_amount,
        sum(daily.net_spend) as lifetime_net_spend,
        sum(
            case
                when daily.sales_date > {{ dbt.dateadd('day', -365, 'as_of.as_of_date') }}
                    then daily.net_spend
                else 0
            end
        ) as net_spend_12m,
        sum(
            case
                when daily.sales_date > {{ dbt.dateadd('day', -365, 'as_of.as_of_date') }}
                    then daily.purchases
                else 0
            end
        ) as purchases_12m
    from daily
    cross join as_of
    group by daily.member_id
),

channels as (
    select
        member_id,
        max(case when sales_channel = 'store' then 1 else 0 end) = 1 as has_bought_in_store,
        max(case when sales_channel = 'web' then 1 else 0 end) = 1 as has_bought_on_web,
        max(case when sales_channel = 'app' then 1 else 0 end) = 1 as has_bought_in_app,
        max(case when fulfilment = 'click_and_collect' then 1 else 0 end) = 1 as has_used_click_and_collect,
        count(distinct product_id) as distinct_products_bought
    from lines
    -- purchases only: a return is not a channel the member chose to buy in
    where not is_return
    group by member_id
),

latest_survey as (
    select
        member_id,
        submitted_date,
        nps,
        csat,
        row_number() over (partition by member_id order by submitted_at desc, response_id desc) as response_rank,
        count(*) over (partition by member_id) as survey_responses
    from surveys
),

final as (
    select
        -- ids
        members.member_id,
        -- profile (generalised; no personal data)
        members.gender,
        members.age_band,
        members.city,
        members.postcode_district,
        -- programme
        members.enrolment_channel,
        members.enrolled_at,
        cast({{ from_utc('members.enrolled_at', "'" ~ var('default_timezone') ~ "'") }} as date) as enrolled_date,
        members.member_status,
        members.has_marketing_consent,
        members.card_id is not null as has_card,
        members.online_account_id is not null as has_online_account,
        members.tier as tier_held,
        tier_status.qualified_tier as tier_qualified,
        tier_status.next_tier,
        tier_status.spend_to_next_tier,
        coalesce(tier_status.points_balance, 0) as points_balance,
        -- channels
        coalesce(channels.has_bought_in_store, false) as has_bought_in_store,
        coalesce(channels.has_bought_on_web, false) as has_bought_on_web,
        coalesce(channels.has_bought_in_app, false) as has_bought_in_app,
        coalesce(channels.has_used_click_and_collect, false) as has_used_click_and_collect,
        {{ dbt.concat([
            "case when channels.has_bought_in_store then 'store' else '' end",
            "case when channels.has_bought_in_store and (channels.has_bought_on_web or channels.has_bought_in_app) then ',' else '' end",
            "case when channels.has_bought_on_web then 'web' else '' end",
            "case when channels.has_bought_on_web and channels.has_bought_in_app then ',' else '' end",
            "case when channels.has_bought_in_app then 'app' else '' end",
        ]) }} as channels_used,
        case
            when channels.member_id is null then 'no_purchase'
            when channels.has_bought_in_store and (channels.has_bought_on_web or channels.has_bought_in_app)
                then 'omnichannel'
            when channels.has_bought_in_store then 'store_only'
            when channels.has_bought_on_web or channels.has_bought_in_app then 'online_only'
            else 'no_purchase'
        end as member_type,
        coalesce(channels.distinct_products_bought, 0) as distinct_products_bought,
        -- purchase history
        history.first_purchase_date,
        history.last_purchase_date,
        {{ days_between('history.last_purchase_date', 'as_of.as_of_date') }} as days_since_last_purchase,
        coalesce(history.purchases, 0) as purchases,
        coalesce(history.store_purchases, 0) as store_purchases,
        coalesce(history.online_purchases, 0) as online_purchases,
        coalesce(history.return_events, 0) as return_events,
        coalesce(history.lines_returned, 0) as lines_returned,
        coalesce(history.lifetime_gross_spend, 0) as lifetime_gross_spend,
        coalesce(history.lifetime_refunded_amount, 0) as lifetime_refunded_amount,
        coalesce(history.lifetime_net_spend, 0) as lifetime_net_spend,
        coalesce(history.net_spend_12m, 0) as net_spend_12m,
        coalesce(history.purchases_12m, 0) as purchases_12m,
        -- rounded to the cent half away from zero on both engines (DuckDB divides a decimal in
        -- double precision, where 130.265 is 130.26499...; Spark divides it exactly)
        cast(round(history.lifetime_gross_spend * 100 / nullif(history.purchases, 0)) / 100 as decimal(18, 2))
            as average_basket_value,
        cast(history.return_events as double) / nullif(history.purchases, 0) as return_rate,
        -- satisfaction
        latest_survey.survey_responses,
        latest_survey.submitted_date as latest_survey_date,
        latest_survey.nps as latest_nps,
        latest_survey.csat as latest_csat,
        -- as of
        as_of.as_of_date
    from members
    cross join as_of
    left join history on members.member_id = history.member_id
    left join channels on members.member_id = channels.member_id
    left join tier_status on members.member_id = tier_status.member_id
    left join latest_survey
        on
            members.member_id = latest_survey.member_id
            and latest_survey.response_rank = 1
)

select * from final
