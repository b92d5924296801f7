-- The web/app events of fct_touchpoints: one touch per event, with its session's member
-- (the logged-in account, else the device cookie) and the campaign that brought the
-- session in. Most touches are web events (26M of the 36M at 10M till lines a year), and a
-- session's touches depend only on its events and its row of int_web_sessions: on DuckDB
-- the model is recomputed by session (macros/incremental.sql, incremental_by_fingerprint),
-- for the sessions whose events or session row changed since the last build: a new day's
-- events, a corrected file, or an identity link that gave an old session its member.
{{ config(**incremental_by_fingerprint(
    'session_id',
    ['stg_online__events', 'int_web_sessions'],
)) }}

with

events as (
    select * from {{ ref('stg_online__events') }}
    {% if is_incremental() %}
        where session_id in ({{ changed_keys() }})
    {% endif %}
),

sessions as (
    select
        session_id,
        member_id,
        utm_source,
        utm_medium,
        utm_campaign
    from {{ ref('int_web_sessions') }}
    {% if is_incremental() %}
        where session_id in ({{ changed_keys() }})
    {% endif %}
),

final as (
    select
        -- ids
        {{ dbt.concat(["'web_event:'", 'events.event_id']) }} as touchpoint_id,
        sessions.member_id,
        events.session_id,
        events.order_id as purchase_id,
        cast(null as {{ dbt.type_string() }}) as store_id,
        events.product_id,
        -- attributes
        'web_event' as touch_source,
        events.event_type as touch_type,
        events.channel,
        -- campaign that brought the session in (set on its first event)
        sessions.utm_source,
        sessions.utm_medium,
        sessions.utm_campaign,
        -- amounts
        cast(null as {{ dbt.type_numeric() }}) as net_amount,
        -- timestamps
        events.event_at as touch_at,
        events.event_date as touch_date
    from events
    left join sessions on events.session_id = sessions.session_id
)

select * from final
