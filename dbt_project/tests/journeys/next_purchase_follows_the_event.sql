-- The next purchase of a post-purchase outcome lies on a later day than the event, and the
-- repurchase flags agree with the days to it.
select
    event_id,
    event_date,
    next_purchase_date,
    days_to_next_purchase,
    has_repurchased_30d,
    has_repurchased_90d
from {{ ref('fct_post_purchase_outcomes') }}
where
    next_purchase_date <= event_date
    or (has_repurchased_30d and not has_repurchased_90d)
    or (has_repurchased_90d and days_to_next_purchase > 90)
