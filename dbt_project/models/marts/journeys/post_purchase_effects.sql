-- One row per post-purchase event type, plus the baseline of ordinary purchases measured the
-- same way: how often and how soon members buy again after a return, a low score or a
-- service contact. Rates count only events whose whole follow-up window lies in the data.
with

outcomes as (
    select * from {{ ref('fct_post_purchase_outcomes') }}
),

summary as (
    select
        event_type,
        count(*) as events,
        count(distinct member_id) as members,
        sum(case when is_observable_90d then 1 else 0 end) as observable_events_90d,
        avg(case when is_observable_30d then cast(has_repurchased_30d as integer) end)
            as repurchase_rate_30d,
        avg(case when is_observable_90d then cast(has_repurchased_90d as integer) end)
            as repurchase_rate_90d,
        -- time to the next purchase, among observable events followed by one within 90 days
        percentile_cont(0.5) within group (
            order by case when is_observable_90d and has_repurchased_90d then days_to_next_purchase end
        ) as median_days_to_next_purchase,
        avg(case when is_observable_90d and has_repurchased_90d then days_to_next_purchase end)
            as avg_days_to_next_purchase
    from outcomes
    group by event_type
),

baseline as (
    select
        repurchase_rate_30d as baseline_repurchase_rate_30d,
        repurchase_rate_90d as baseline_repurchase_rate_90d
    from summary
    where event_type = 'purchase_without_issue'
),

final as (
    select
        -- keys
        summary.event_type,
        summary.event_type = 'purchase_without_issue' as is_baseline,
        -- counts
        summary.events,
        summary.members,
        summary.observable_events_90d,
        -- outcomes
        summary.repurchase_rate_30d,
        summary.repurchase_rate_90d,
        summary.repurchase_rate_90d - baseline.baseline_repurchase_rate_90d
            as repurchase_rate_90d_vs_baseline,
        summary.median_days_to_next_purchase,
        summary.avg_days_to_next_purchase
    from summary
    left join baseline on 1 = 1
)

select * from final
