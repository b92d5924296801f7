-- One row per local day and channel: the web/app purchase funnel. A session reaches a step
-- when its deepest stage is that step or a later one, so a purchase without a recorded cart
-- event still counts as having passed the cart, and the step counts never grow down the
-- funnel.
with

sessions as (
    select * from {{ ref('int_web_sessions') }}
),

daily as (
    select
        session_date,
        channel,
        count(*) as sessions,
        sum(case when funnel_step_number >= 1 then 1 else 0 end) as product_view_sessions,
        sum(case when funnel_step_number >= 2 then 1 else 0 end) as add_to_cart_sessions,
        sum(case when funnel_step_number >= 3 then 1 else 0 end) as checkout_start_sessions,
        sum(case when funnel_step_number >= 4 then 1 else 0 end) as purchase_sessions,
        sum(case when searches > 0 then 1 else 0 end) as search_sessions,
        sum(case when is_logged_in then 1 else 0 end) as logged_in_sessions,
        sum(case when member_id is not null then 1 else 0 end) as identified_sessions
    from sessions
    group by session_date, channel
),

rates as (
    select
        *,
        -- step conversion: share of the sessions at one step that reach the next
        cast(product_view_sessions as double) / nullif(sessions, 0) as product_view_rate,
        cast(add_to_cart_sessions as double) / nullif(product_view_sessions, 0) as add_to_cart_rate,
        cast(checkout_start_sessions as double) / nullif(add_to_cart_sessions, 0) as checkout_start_rate,
        cast(purchase_sessions as double) / nullif(checkout_start_sessions, 0) as purchase_rate,
        cast(purchase_sessions as double) / nullif(sessions, 0) as overall_conversion_rate,
        cast(search_sessions as double) / nullif(sessions, 0) as search_session_share,
        cast(logged_in_sessions as double) / nullif(sessions, 0) as logged_in_share,
        cast(identified_sessions as double) / nullif(sessions, 0) as identified_share
    from daily
),

final as (
    select
        -- keys
        session_date,
        channel,
        -- counts
        sessions,
        product_view_sessions,
        add_to_cart_sessions,
        checkout_start_sessions,
        purchase_sessions,
        search_sessions,
        logged_in_sessions,
        identified_sessions,
        -- step conversion rates
        product_view_rate,
        add_to_cart_rate,
        checkout_start_rate,
        purchase_rate,
        overall_conversion_rate,
        -- drop-off rates: share of the sessions at one step that leave before the next
        1 - product_view_rate as visit_drop_off_rate,
        1 - add_to_cart_rate as product_view_drop_off_rate,
        1 - checkout_start_rate as add_to_cart_drop_off_rate,
        1 - purchase_rate as checkout_drop_off_rate,
        -- shares
        search_session_share,
        logged_in_share,
        identified_share
    from rates
)

select * from final
