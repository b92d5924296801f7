-- One row per post-purchase event of an identified member (a return, a low survey score, a
-- service contact) and, as the comparison baseline, per ordinary purchase (no return and no
-- low score about it): did the member buy again afterwards, and how soon.
with

sales_lines as (
    select * from {{ ref('int_sales_lines') }}
    where member_id is not null
),

survey_responses as (
    select * from {{ ref('fct_survey_responses') }}
    where member_id is not null
),

support_contacts as (
    select * from {{ ref('fct_touchpoints') }}
    where touch_type = 'support_contact' and member_id is not null
),

as_of as (
    -- the latest business day in the data: outcomes are observed up to it
    select max(sales_date) as as_of_date from {{ ref('int_sales_lines') }}
),

returns as (
    -- one event per return (refund receipt, returned order)
    select
        {{ dbt.concat(["'return:'", 'purchase_id']) }} as event_id,
        'return' as event_type,
        max(member_id) as member_id,
        max(return_of_purchase_id) as purchase_id,
        max(sales_channel) as channel,
        min(sold_at) as event_at,
        min(sales_date) as event_date
    from sales_lines
    where is_return
    group by purchase_id
),

low_scores as (
    select
        {{ dbt.concat(["'low_score:'", 'response_id']) }} as event_id,
        'low_score' as event_type,
        member_id,
        purchase_id,
        channel,
        submitted_at as event_at,
        submitted_date as event_date
    from survey_responses
    where nps <= 6 or csat <= 2
),

service_contacts as (
    select
        {{ dbt.concat(["'service_contact:'", 'touchpoint_id']) }} as event_id,
        'service_contact' as event_type,
        member_id,
        purchase_id,
        channel,
        touch_at as event_at,
        touch_date as event_date
    from support_contacts
),

issues as (
    select * from returns
    union all
    select * from low_scores
    union all
    select * from service_contacts
),

issue_purchases as (
    select distinct purchase_id
    from issues
    where purchase_id is not null
),

purchases as (
    select
        purchase_id,
        max(member_id) as member_id,
        max(sales_channel) as channel,
        min(sold_at) as purchase_at,
        min(sales_date) as purchase_date
    from sales_lines
    where not is_return
    group by purchase_id
),

ordinary_purchases as (
    -- the baseline: purchases no return and no low score is about, measured the same way
    select
        {{ dbt.concat(["'purchase:'", 'purchases.purchase_id']) }} as event_id,
        'purchase_without_issue' as event_type,
        purchases.member_id,
        purchases.purchase_id,
        purchases.channel,
        purchases.purchase_at as event_at,
        purchases.purchase_date as event_date
    from purchases
    left join issue_purchases on purchases.purchase_id = issue_purchases.purchase_id
    where issue_purchases.purchase_id is null
),

outcome_events as (
    select * from issues
    union all
    select * from ordinary_purchases
),

purchase_days as (
    select distinct
        member_id,
        purchase_date
    from purchases
),

timeline as (
    -- events and purchase days of a member in date order; on the same day purchases sort
    -- first, so the next purchase of an event is one on a later day
    select
        event_id,
        member_id,
        event_date as sort_date,
        1 as sort_kind,
        cast(null as date) as purchase_date
    from outcome_events
    union all
    select
        cast(null as {{ dbt.type_string() }}) as event_id,
        member_id,
        purchase_date as sort_date,
        0 as sort_kind,
        purchase_date
    from purchase_days
),

next_purchases as (
    select
        event_id,
        min(purchase_date) over (
            partition by member_id
            order by sort_date, sort_kind
            rows between current row and unbounded following
        ) as next_purchase_date
    from timeline
),

measured as (
    select
        outcome_events.*,
        next_purchases.next_purchase_date,
        {{ dbt.datediff('outcome_events.event_date', 'next_purchases.next_purchase_date', 'day') }}
            as days_to_next_purchase,
        as_of.as_of_date
    from outcome_events
    inner join next_purchases on outcome_events.event_id = next_purchases.event_id
    cross join as_of
),

final as (
    select
        -- ids
        event_id,
        member_id,
        purchase_id,
        -- attributes
        event_type,
        event_type = 'purchase_without_issue' as is_baseline,
        channel,
        -- timestamps
        event_at,
        event_date,
        -- outcome
        next_purchase_date,
        days_to_next_purchase,
        coalesce(days_to_next_purchase <= 30, false) as has_repurchased_30d,
        coalesce(days_to_next_purchase <= 90, false) as has_repurchased_90d,
        -- whether the whole follow-up window lies within the data
        cast({{ dbt.dateadd('day', 30, 'event_date') }} as date) <= as_of_date as is_observable_30d,
        cast({{ dbt.dateadd('day', 90, 'event_date') }} as date) <= as_of_date as is_observable_90d,
        as_of_date
    from measured
)

select * from final
