-- the Dagster asset check belongs to identity_match_rates
{{ config(meta={'dagster': {'ref': {'name': 'identity_match_rates'}}}) }}

-- The web-session match rate counts exactly the sessions of int_web_sessions, and as matched
-- exactly those int_web_sessions gives a member: the health figure and the journeys agree
-- on who a visitor is.
with

sessions as (
    select
        count(*) as records,
        count(member_id) as matched_records
    from {{ ref('int_web_sessions') }}
),

rates as (
    select
        records,
        matched_records
    from {{ ref('identity_match_rates') }}
    where record_type = 'web_sessions'
)

select
    sessions.records as sessions,
    sessions.matched_records as sessions_with_member,
    rates.records as rate_records,
    rates.matched_records as rate_matched_records
from sessions
left join rates on true
where
    sessions.records > 0
    and (
        rates.records is null
        or rates.records <> sessions.records
        or rates.matched_records <> sessions.matched_records
    )
