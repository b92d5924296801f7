-- One row per touch between a customer and the retailer, online and offline, on one
-- timeline per member: the web/app events (int_web_touchpoints, recomputed by session),
-- the purchase touches (int_transaction_touchpoints: till receipts, order moments, points
-- redemptions, rebuilt on every run) and the survey responses. On DuckDB a view: a new day
-- rewrites the touches of the sessions it changed, not the year's web events. On Spark a
-- table, as every model there (dbt_project.yml).
{{ config(materialized='table' if target.type == 'spark' else 'view') }}

with

web_touchpoints as (
    select * from {{ ref('int_web_touchpoints') }}
),

transaction_touchpoints as (
    select * from {{ ref('int_transaction_touchpoints') }}
),

survey_responses as (
    select * from {{ ref('fct_survey_responses') }}
),

survey_touchpoints as (
    select
        {{ dbt.concat(["'survey:'", 'response_id']) }} as touchpoint_id,
        member_id,
        cast(null as {{ dbt.type_string() }}) as session_id,
        purchase_id,
        store_id,
        cast(null as {{ dbt.type_string() }}) as product_id,
        'survey' as touch_source,
        'survey_response' as touch_type,
        case
            when touchpoint = 'customer_service' or channel = 'phone' then 'service'
            when channel in ('web', 'app', 'store') then channel
            when store_id is not null then 'store'
            else 'service'
        end as channel,
        cast(null as {{ dbt.type_string() }}) as utm_source,
        cast(null as {{ dbt.type_string() }}) as utm_medium,
        cast(null as {{ dbt.type_string() }}) as utm_campaign,
        cast(null as {{ dbt.type_numeric() }}) as net_amount,
        submitted_at as touch_at,
        submitted_date as touch_date
    from survey_responses
),

touches as (
    select * from web_touchpoints
    union all
    select * from transaction_touchpoints
    union all
    select * from survey_touchpoints
),

final as (
    select
        -- ids
        touchpoint_id,
        member_id,
        session_id,
        purchase_id,
        store_id,
        product_id,
        -- attributes
        touch_source,
        touch_type,
        case
            when touch_type in (
                'page_view', 'search', 'product_view', 'compare', 'add_to_cart',
                'remove_from_cart', 'coupon_view'
            ) then 'pre_purchase'
            when touch_type in (
                'checkout_start', 'purchase', 'till_purchase', 'order_placed', 'points_redemption'
            ) then 'purchase'
            when touch_type in (
                'review_submit', 'support_contact', 'till_return', 'order_delivered',
                'order_returned', 'order_cancelled', 'survey_response'
            ) then 'post_purchase'
            else 'unclassified'
        end as journey_stage,
        channel,
        utm_source,
        utm_medium,
        utm_campaign,
        -- amounts
        net_amount,
        -- timestamps
        touch_at,
        touch_date
    from touches
)

select * from final
