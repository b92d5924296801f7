-- Down the funnel the step counts never grow: sessions >= product view >= cart >= checkout
-- >= purchase. The funnel counts a session at every step up to its deepest one, so this
-- holds by construction and a failure means the funnel logic broke (blocking).
select
    session_date,
    channel,
    sessions,
    product_view_sessions,
    add_to_cart_sessions,
    checkout_start_sessions,
    purchase_sessions
from {{ ref('fct_session_funnel_daily') }}
where
    product_view_sessions > sessions
    or add_to_cart_sessions > product_view_sessions
    or checkout_start_sessions > add_to_cart_sessions
    or purchase_sessions > checkout_start_sessions
    or search_sessions > sessions
    or logged_in_sessions > sessions
