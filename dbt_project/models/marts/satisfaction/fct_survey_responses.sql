-- One row per survey response, linked to the member, the purchase it is about and what the
-- member bought afterwards. Comment text stays in staging: only its language, length and
-- sentiment come here.
-- Behaviour windows are counted in whole local days after submitted_date, "as of" the latest
-- sales date in the data. A window that is not yet complete gives null, not false: a
-- response of last week has not had 90 days to be followed by a purchase.
with

responses as (
    select * from {{ ref('stg_survey__responses') }}
),

identity as (
    select
        identifier_type,
        identifier_value,
        member_id
    from {{ ref('int_identity_map') }}
    where identifier_type in ('card_id', 'email_hash')
),

-- read five times with different columns and filters: evaluated at each read, not stored
-- (10M-line year: 5.2 CPU-s for the model instead of 5.8-7.4)
sales_lines as {{ not_materialized() }} (
    select * from {{ ref('int_sales_lines') }}
),

members as (
    select
        member_id,
        tier
    from {{ ref('stg_crm__members') }}
),

as_of as (
    select max(sales_date) as as_of_date
    from sales_lines
),

-- the purchase a survey is about: a till receipt or an online order
purchases as (
    select
        purchase_id,
        max(member_id) as member_id,
        max(sales_channel) as sales_channel,
        min(sales_date) as purchase_date,
        sum(net_amount) as net_amount
    from sales_lines
    group by purchase_id
),

-- store, online or both, over the member's whole purchase history
member_channels as (
    select
        member_id,
        max(case when sales_channel = 'store' then 1 else 0 end) as has_store_purchases,
        max(case when sales_channel in ('web', 'app') then 1 else 0 end) as has_online_purchases
    from sales_lines
    where member_id is not null and not is_return
    group by member_id
),

member_purchase_days as (
    select distinct
        member_id,
        purchase_id,
        sales_date
    from sales_lines
    where member_id is not null and not is_return
),

matched as (
    select
        responses.*,
        purchases.purchase_id,
        purchases.sales_channel as purchase_channel,
        purchases.purchase_date,
        purchases.net_amount as purchase_net_amount,
        coalesce(cards.member_id, emails.member_id, purchases.member_id) as member_id,
        case
            when cards.member_id is not null then 'card_id'
            when emails.member_id is not null then 'email_hash'
            when purchases.member_id is not null then 'purchase'
            else 'unmatched'
        end as member_match_method
    from responses
    left join identity as cards
        on
            cards.identifier_type = 'card_id'
            and responses.member_card_id = cards.identifier_value
    left join identity as emails
        on
            emails.identifier_type = 'email_hash'
            and responses.email_hash = emails.identifier_value
    left join purchases
        on coalesce(responses.transaction_id, responses.order_id) = purchases.purchase_id
),

next_purchases as (
    select
        matched.response_id,
        min(member_purchase_days.sales_date) as next_purchase_date
    from matched
    inner join member_purchase_days
        on
            matched.member_id = member_purchase_days.member_id
            and matched.submitted_date < member_purchase_days.sales_date
            and member_purchase_days.purchase_id <> coalesce(matched.purchase_id, '')
    group by matched.response_id
),

spend_after as (
    select
        matched.response_id,
        sum(sales_lines.net_amount) as net_spend_90d
    from matched
    inner join sales_lines
        on
            matched.member_id = sales_lines.member_id
            and matched.submitted_date < sales_lines.sales_date
            and sales_lines.sales_date <= {{ dbt.dateadd('day', 90, 'matched.submitted_date') }}
    group by matched.response_id
),

behaviour as (
    select
        matched.response_id,
        as_of.as_of_date,
        next_purchases.next_purchase_date,
        matched.member_id is not null
        and {{ dbt.dateadd('day', 90, 'matched.submitted_date') }} <= as_of.as_of_date as is_90d_evaluable,
        matched.member_id is not null
        and {{ dbt.dateadd('day', 180, 'matched.submitted_date') }} <= as_of.as_of_date as is_180d_evaluable,
        coalesce(spend_after.net_spend_90d, 0) as net_spend_90d
    from matched
    cross join as_of
    left join next_purchases on matched.response_id = next_purchases.response_id
    left join spend_after on matched.response_id = spend_after.response_id
),

final as (
    select
        -- ids
        matched.response_id,
        matched.survey_id,
        matched.member_id,
        matched.member_match_method,
        matched.purchase_id,
        matched.store_id,
        -- attributes
        matched.touchpoint,
        matched.channel,
        members.tier,
        case
            when matched.member_id is null then 'anonymous'
            when member_channels.has_store_purchases = 1 and member_channels.has_online_purchases = 1
                then 'omnichannel'
            when member_channels.has_online_purchases = 1 then 'online_only'
            when member_channels.has_store_purchases = 1 then 'store_only'
            else 'no_purchases'
        end as member_type,
        -- scores
        matched.nps,
        matched.csat,
        matched.rating_product_quality,
        matched.rating_service,
        matched.rating_price_value,
        matched.rating_experience,
        matched.rating_brand_trust,
        matched.nps_category,
        matched.is_csat_satisfied,
        -- comment (no text)
        matched.comment_length is not null as has_comment,
        matched.comment_language,
        matched.comment_length,
        matched.comment_sentiment,
        -- the purchase surveyed
        matched.purchase_id is not null as is_purchase_found,
        matched.purchase_date,
        matched.purchase_channel,
        matched.purchase_net_amount,
        -- behaviour after the response
        behaviour.next_purchase_date,
        {{ dbt.datediff('matched.submitted_date', 'behaviour.next_purchase_date', 'day') }}
            as days_to_next_purchase,
        case
            when behaviour.is_90d_evaluable
                then coalesce(
                    behaviour.next_purchase_date <= {{ dbt.dateadd('day', 90, 'matched.submitted_date') }}, false
                )
        end as has_repurchased_90d,
        case
            when behaviour.is_180d_evaluable
                then coalesce(
                    behaviour.next_purchase_date > {{ dbt.dateadd('day', 180, 'matched.submitted_date') }}, true
                )
        end as is_churned_180d,
        case when behaviour.is_90d_evaluable then behaviour.net_spend_90d end as net_spend_90d,
        -- dates
        matched.submitted_at,
        matched.submitted_date,
        cast({{ dbt.date_trunc('month', 'matched.submitted_date') }} as date) as response_month,
        matched.business_date,
        behaviour.as_of_date as behaviour_as_of_date
    from matched
    inner join behaviour on matched.response_id = behaviour.response_id
    left join members on matched.member_id = members.member_id
    left join member_channels on matched.member_id = member_channels.member_id
)

select * from final
