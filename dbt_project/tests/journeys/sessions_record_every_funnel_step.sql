-- A session that reached a funnel step should have recorded the steps before it. The
-- generator's sessions always do, but events at the edge of the data (a session that
-- started before the first day) or lost by a tracker skip steps, and real shops have
-- "buy now" buttons that skip the cart: a person should look if this grows, the pipeline
-- need not stop (1 session on the demo data).
{{ config(severity='warn') }}

select
    session_id,
    session_date,
    channel,
    funnel_stage_reached,
    has_product_view,
    has_add_to_cart,
    has_checkout_start,
    has_purchase
from {{ ref('int_web_sessions') }}
where
    (has_purchase and not has_checkout_start)
    or (has_checkout_start and not has_add_to_cart)
    or (has_add_to_cart and not has_product_view)
