-- One row per purchase of an identified member (till receipt or online order): the path
-- that led to it within the lookback window (var journey_lookback_days, default 30 local
-- days before the purchase day, plus the purchase day up to the purchase).
--
-- Touches are joined on exact keys only, never on member alone with a time range (events
-- are the largest dataset): purchases are expanded into their lookback days and joined to
-- touches pre-aggregated per member and day; the purchase day itself is joined touch by
-- touch (member and day), so that touches after the purchase and the purchase's own records
-- (its order, checkout event, points redemption: the same purchase_id) are left out. Product
-- research joins on member and product, whose few viewing days are then filtered to the
-- window (a join per day would probe every purchased product 31 times).
--
-- A member's journeys depend only on that member's sales lines and touches: on DuckDB the
-- model is recomputed by member (macros/incremental.sql, incremental_by_fingerprint), for the
-- members whose lines or touches changed since the last build (a new day, a correction, an
-- identity link that moved records between members) and for every member when the lookback
-- or this code changes. A purchase is its lines' max(member_id): a receipt with two
-- members' cards makes them one group, recomputed together (grouped_by).
{% set lookback_days = var('journey_lookback_days', 30) %}
{{ config(**incremental_by_fingerprint(
    'member_id',
    ['int_sales_lines', 'fct_touchpoints'],
    settings={'journey_lookback_days': lookback_days},
    grouped_by={'int_sales_lines': 'purchase_id'},
)) }}
{#- min() of these structs is the values of the row that sorts first (macros/portable.sql).
    Touches at the same instant are ordered by channel, then type, as in `journeys` below, not
    by touchpoint_id: with the long id in the struct, the 10M-line full build peaked at
    5.3 GiB uncapped (4.3 GiB without) and ran out of memory at random under the 4 GB cap
    (bench/RESULTS.md, 2026-12-02, evening). -#}
{% set first_touch_of_day = struct_of(['touch_at', 'channel', 'touch_type']) %}
{% set first_prior_touch = struct_of(['first_touch_at', 'first_touch_channel', 'first_touch_type']) %}

with

sales_lines as (
    select * from {{ ref('int_sales_lines') }}
    where not is_return and member_id is not null
    {% if is_incremental() %}
        and member_id in ({{ changed_keys() }})
    {% endif %}
),

-- read three times with different columns and filters: evaluated at each read, not stored
-- (materialising the 10M-line year's 25M member touches cost more than reading them thrice)
touchpoints as {{ not_materialized() }} (
    select
        touchpoint_id,
        member_id,
        purchase_id,
        product_id,
        touch_source,
        touch_type,
        channel,
        touch_at,
        touch_date,
        case when channel = 'web' then 1 else 0 end as is_web,
        case when channel = 'app' then 1 else 0 end as is_app,
        case when channel = 'store' then 1 else 0 end as is_store,
        case when channel = 'service' then 1 else 0 end as is_service,
        -- online research: a product view or a search on the web or in the app
        case when touch_type in ('product_view', 'search') then 1 else 0 end as is_research
    from {{ ref('fct_touchpoints') }}
    where member_id is not null
    {% if is_incremental() %}
        and member_id in ({{ changed_keys() }})
    {% endif %}
),

digits as (
    select 0 as digit
    union all
    select 1
    union all
    select 2
    union all
    select 3
    union all
    select 4
    union all
    select 5
    union all
    select 6
    union all
    select 7
    union all
    select 8
    union all
    select 9
),

numbers as (
    select units.digit + 10 * tens.digit + 100 * hundreds.digit as day_offset
    from digits as units
    cross join digits as tens
    cross join digits as hundreds
),

lookback_offsets as (
    -- 1 .. lookback_days: the days before the purchase day
    select day_offset
    from numbers
    where day_offset between 1 and {{ lookback_days }}
),

purchases as (
    select
        purchase_id,
        max(member_id) as member_id,
        max(sales_channel) as purchase_channel,
        max(fulfilment) as fulfilment,
        max(store_id) as store_id,
        count(*) as purchase_lines,
        sum(net_amount) as purchase_amount,
        min(sold_at) as purchase_at,
        min(sales_date) as purchase_date
    from sales_lines
    group by purchase_id
),

sequenced_purchases as (
    select
        *,
        lag(purchase_at) over (partition by member_id order by purchase_at, purchase_id) as previous_purchase_at,
        lag(purchase_date) over (partition by member_id order by purchase_at, purchase_id) as previous_purchase_date
    from purchases
),

member_days as (
    select
        member_id,
        touch_date,
        count(*) as touches,
        min(touch_at) as first_touch_at,
        -- the day's first touch (by time, then channel and type), without a window sort
        min({{ first_touch_of_day }}).channel as first_touch_channel,
        min({{ first_touch_of_day }}).touch_type as first_touch_type,
        max(is_web) as has_web,
        max(is_app) as has_app,
        max(is_store) as has_store,
        max(is_service) as has_service,
        max(is_research) as has_research
    from touchpoints
    group by member_id, touch_date
),

lookback_days as (
    -- each purchase expanded into the days before it, so that touches join on exact keys
    select
        purchases.purchase_id,
        purchases.member_id,
        purchases.previous_purchase_date,
        cast({{ dbt.dateadd('day', '-lookback_offsets.day_offset', 'purchases.purchase_date') }} as date)
            as touch_date
    from sequenced_purchases as purchases
    cross join lookback_offsets
),

earlier_days as (
    select
        lookback_days.purchase_id,
        member_days.first_touch_at,
        member_days.first_touch_channel,
        member_days.first_touch_type,
        member_days.touches,
        member_days.has_web,
        member_days.has_app,
        member_days.has_store,
        member_days.has_service,
        member_days.has_research,
        -- whole days after the previous purchase's day
        case
            when lookback_days.previous_purchase_date is null then 1
            when member_days.touch_date > lookback_days.previous_purchase_date then 1
            else 0
        end as is_after_previous_purchase
    from lookback_days
    inner join member_days
        on
            lookback_days.member_id = member_days.member_id
            and lookback_days.touch_date = member_days.touch_date
),

purchase_day as (
    select
        purchases.purchase_id,
        touchpoints.touch_at as first_touch_at,
        touchpoints.channel as first_touch_channel,
        touchpoints.touch_type as first_touch_type,
        1 as touches,
        touchpoints.is_web as has_web,
        touchpoints.is_app as has_app,
        touchpoints.is_store as has_store,
        touchpoints.is_service as has_service,
        touchpoints.is_research as has_research,
        case
            when purchases.previous_purchase_at is null then 1
            when touchpoints.touch_at > purchases.previous_purchase_at then 1
            else 0
        end as is_after_previous_purchase
    from sequenced_purchases as purchases
    inner join touchpoints
        on
            purchases.member_id = touchpoints.member_id
            and purchases.purchase_date = touchpoints.touch_date
    where
        touchpoints.touch_at <= purchases.purchase_at
        and (touchpoints.purchase_id is null or touchpoints.purchase_id <> purchases.purchase_id)
),

prior_touches as (
    select * from earlier_days
    union all
    select * from purchase_day
),

journeys as (
    select
        purchase_id,
        sum(touches) as touches_before,
        min(first_touch_at) as first_touch_at,
        -- channel and type of the earliest of the touches (ties: by channel, then type)
        min({{ first_prior_touch }}).first_touch_channel as first_touch_channel,
        min({{ first_prior_touch }}).first_touch_type as first_touch_type,
        max(has_web) as has_web,
        max(has_app) as has_app,
        max(has_store) as has_store,
        max(has_service) as has_service,
        max(has_research) as has_research,
        sum(case when is_after_previous_purchase = 1 then touches else 0 end) as journey_touches,
        min(case when is_after_previous_purchase = 1 then first_touch_at end) as journey_started_at
    from prior_touches
    group by purchase_id
),

receipt_products as (
    select distinct
        purchase_id,
        member_id,
        product_id,
        sold_at as purchase_at,
        sales_date as purchase_date
    from sales_lines
    where sales_source = 'pos'
),

product_views as (
    select
        member_id,
        product_id,
        touch_date,
        min(touch_at) as first_viewed_at
    from touchpoints
    where touch_type = 'product_view' and channel in ('web', 'app') and product_id is not null
    group by member_id, product_id, touch_date
),

same_product_research as (
    -- a till purchase of a product the member looked at online within the window: on an
    -- earlier day, or on the purchase day before the purchase
    select distinct receipt_products.purchase_id
    from receipt_products
    inner join product_views
        on
            receipt_products.member_id = product_views.member_id
            and receipt_products.product_id = product_views.product_id
    where
        product_views.touch_date
        >= cast({{ dbt.dateadd('day', -(lookback_days | int), 'receipt_products.purchase_date') }} as date)
        and (
            product_views.touch_date < receipt_products.purchase_date
            or (
                product_views.touch_date = receipt_products.purchase_date
                and product_views.first_viewed_at <= receipt_products.purchase_at
            )
        )
),

flags as (
    select
        purchases.*,
        journeys.purchase_id is not null as has_prior_touch,
        coalesce(journeys.journey_touches, 0) as journey_touches,
        coalesce(journeys.journey_started_at, purchases.purchase_at) as journey_started_at,
        coalesce(journeys.touches_before, 0) as touches_before,
        -- a purchase without an earlier touch is its own first touch
        coalesce(journeys.first_touch_at, purchases.purchase_at) as first_touch_at,
        coalesce(journeys.first_touch_channel, purchases.purchase_channel) as first_touch_channel,
        coalesce(
            journeys.first_touch_type,
            case when purchases.fulfilment = 'till' then 'till_purchase' else 'order_placed' end
        ) as first_touch_type,
        -- channels of the touches before and of the purchase itself
        coalesce(journeys.has_web, 0) = 1 or purchases.purchase_channel = 'web' as has_web_touch,
        coalesce(journeys.has_app, 0) = 1 or purchases.purchase_channel = 'app' as has_app_touch,
        coalesce(journeys.has_store, 0) = 1 or purchases.purchase_channel = 'store' as has_store_touch,
        coalesce(journeys.has_service, 0) = 1 as has_service_touch,
        purchases.purchase_channel = 'store' and coalesce(journeys.has_research, 0) = 1
            as is_research_online_buy_in_store,
        same_product_research.purchase_id is not null as is_robis_same_product
    from sequenced_purchases as purchases
    left join journeys on purchases.purchase_id = journeys.purchase_id
    left join same_product_research on purchases.purchase_id = same_product_research.purchase_id
),

final as (
    select
        -- ids
        purchase_id,
        member_id,
        store_id,
        -- purchase
        purchase_channel,
        fulfilment,
        fulfilment = 'click_and_collect' as is_click_and_collect,
        purchase_lines,
        purchase_amount,
        purchase_at,
        purchase_date,
        previous_purchase_at,
        -- journey
        first_touch_at,
        first_touch_channel,
        first_touch_type,
        {{ dbt.datediff('first_touch_at', 'purchase_at', 'second') }}
        -- a double on both engines (Spark would divide by the literal 86400.0 as a decimal)
        / cast(86400 as double) as days_to_purchase,
        touches_before,
        has_prior_touch,
        -- the journey since the previous purchase (within the same window)
        journey_started_at,
        {{ dbt.datediff('journey_started_at', 'purchase_at', 'second') }}
        / cast(86400 as double) as journey_days,
        journey_touches,
        -- channels and cross-channel paths
        has_web_touch,
        has_app_touch,
        has_store_touch,
        has_service_touch,
        -- alphabetical list of the channels involved, e.g. 'app,store'
        substring(
            {{ dbt.concat([
                "case when has_app_touch then ',app' else '' end",
                "case when has_service_touch then ',service' else '' end",
                "case when has_store_touch then ',store' else '' end",
                "case when has_web_touch then ',web' else '' end",
            ]) }},
            2
        ) as channels_involved,
        is_research_online_buy_in_store,
        is_robis_same_product
    from flags
)

select * from final
