-- A journey starts before the purchase it leads to: no negative time to purchase, and the
-- journey since the previous purchase lies within the lookback window.
select
    purchase_id,
    first_touch_at,
    journey_started_at,
    purchase_at,
    days_to_purchase,
    journey_days
from {{ ref('fct_purchase_journeys') }}
where
    days_to_purchase < 0
    or journey_days < 0
    or journey_days > days_to_purchase
    or days_to_purchase > {{ var('journey_lookback_days', 30) }} + 1
