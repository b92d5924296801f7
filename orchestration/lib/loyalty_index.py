"""The loyalty index: satisfaction, trust and emotion, each 0-100, and their mean.

domain.md §1: loyalty rests on satisfaction (the experience met expectations), trust (the
retailer is reliable and honest) and emotion (attachment to the brand); the index exposes
each. Every signal is read as of a date, from data dated on or before it, so a backfill
recomputes history exactly. Signals (365 days up to the as-of date unless stated):

- **satisfaction** = 100 × mean of the member's available survey signals: NPS / 10,
  (CSAT − 1) / 4 and the mean of the five driver ratings, (r − 1) / 4.
- **trust** = 100 × (0.4 × (1 − share of purchases returned)
  + 0.3 × (1 − min(1, complaints / 3))  [complaints: service contacts and detractor scores]
  + 0.3 × (brand-trust rating − 1) / 4).
- **emotion** = 100 × mean of the member's percentile ranks, among members with a purchase
  in the window, of tenure, web/app sessions (90 days), breadth (distinct product
  categories and channels) and behaviour points (points earned for anything but a
  purchase: profile, survey, review, referral, social share, birthday, campaign).
- **loyalty_index** = mean of the three.

A member without a survey has no own satisfaction or brand-trust signal: those take the
median of the members who have one, and ``has_survey_signal`` says so, so that the index
is comparable across members and the imputation is visible.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

WINDOW_DAYS = 365
ENGAGEMENT_DAYS = 90

LOYALTY_INDEX_SQL = """
with
buyers as (
    select member_id
    from marts.fct_member_daily_sales
    where sales_date > $as_of - interval (cast($window as integer)) day
      and sales_date <= $as_of and purchases > 0
    group by member_id
),
lines as (
    select l.member_id, l.purchase_id, l.is_return, l.sales_channel, p.category
    from intermediate.int_sales_lines as l
    left join staging.stg_pos__products as p on l.product_id = p.product_id
    where l.member_id is not null
      and l.sales_date > $as_of - interval (cast($window as integer)) day
      and l.sales_date <= $as_of
),
purchase_mix as (
    select
        member_id,
        count(distinct case when not is_return then purchase_id end) as purchases,
        count(distinct case when is_return then purchase_id end) as returns,
        count(distinct category) as categories,
        count(distinct sales_channel) as channels
    from lines
    group by member_id
),
surveys as (
    select
        member_id,
        avg(nps / 10.0) as nps_signal,
        avg((csat - 1) / 4.0) as csat_signal,
        avg(((rating_product_quality + rating_experience + rating_price_value
              + rating_brand_trust + rating_service) / 5.0 - 1) / 4.0) as driver_signal,
        avg((rating_brand_trust - 1) / 4.0) as brand_trust_signal,
        sum(case when nps_category = 'detractor' then 1 else 0 end) as detractor_scores
    from marts.fct_survey_responses
    where member_id is not null
      and submitted_date > $as_of - interval (cast($window as integer)) day
      and submitted_date <= $as_of
    group by member_id
),
contacts as (
    select member_id, count(*) as service_contacts
    from marts.fct_touchpoints
    where member_id is not null and touch_type = 'support_contact'
      and touch_date > $as_of - interval (cast($window as integer)) day
      and touch_date <= $as_of
    group by member_id
),
sessions as (
    select member_id, count(*) as sessions
    from intermediate.int_web_sessions
    where member_id is not null
      and session_date > $as_of - interval (cast($engagement as integer)) day
      and session_date <= $as_of
    group by member_id
),
behaviour_points as (
    select member_id, sum(points) as behaviour_points
    from marts.fct_points_ledger
    where entry_type = 'earn' and coalesce(reason, '') != 'purchase'
      and entry_date > $as_of - interval (cast($window as integer)) day
      and entry_date <= $as_of
    group by member_id
),
members as (
    select member_id, enrolled_at
    from staging.stg_crm__members
),
signals as (
    select
        buyers.member_id,
        date_diff('day', cast(members.enrolled_at as date), $as_of) as tenure_days,
        coalesce(purchase_mix.returns, 0) / greatest(coalesce(purchase_mix.purchases, 0), 1)
            as return_share,
        coalesce(contacts.service_contacts, 0) + coalesce(surveys.detractor_scores, 0)
            as complaints,
        coalesce(sessions.sessions, 0) as sessions_90d,
        coalesce(purchase_mix.categories, 0) + coalesce(purchase_mix.channels, 0) as breadth,
        coalesce(behaviour_points.behaviour_points, 0) as behaviour_points,
        surveys.member_id is not null as has_survey_signal,
        (coalesce(surveys.nps_signal, 0) + coalesce(surveys.csat_signal, 0)
            + coalesce(surveys.driver_signal, 0))
        / nullif((surveys.nps_signal is not null)::int + (surveys.csat_signal is not null)::int
                 + (surveys.driver_signal is not null)::int, 0) as own_satisfaction,
        surveys.brand_trust_signal as own_brand_trust
    from buyers
    join members using (member_id)
    left join purchase_mix using (member_id)
    left join surveys using (member_id)
    left join contacts using (member_id)
    left join sessions using (member_id)
    left join behaviour_points using (member_id)
),
imputed as (
    select
        *,
        coalesce(own_satisfaction, median(own_satisfaction) over ()) as satisfaction_signal,
        coalesce(own_brand_trust, median(own_brand_trust) over ()) as brand_trust_signal,
        (percent_rank() over (order by tenure_days)
         + percent_rank() over (order by sessions_90d)
         + percent_rank() over (order by breadth)
         + percent_rank() over (order by behaviour_points)) / 4 as emotion_signal
    from signals
),
components as (
    select
        member_id,
        has_survey_signal,
        round(100 * satisfaction_signal, 2) as satisfaction_score,
        round(100 * (0.4 * (1 - least(return_share, 1))
                     + 0.3 * (1 - least(complaints / 3.0, 1))
                     + 0.3 * brand_trust_signal), 2) as trust_score,
        round(100 * emotion_signal, 2) as emotion_score
    from imputed
)
select
    member_id,
    cast($as_of as date) as as_of_date,
    satisfaction_score,
    trust_score,
    emotion_score,
    round((satisfaction_score + trust_score + emotion_score) / 3, 2) as loyalty_index,
    has_survey_signal
from components
order by member_id
"""


def loyalty_index(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame:
    """The index of every member with a purchase in the 365 days up to ``as_of``."""
    return con.execute(LOYALTY_INDEX_SQL, {"as_of": as_of, "window": WINDOW_DAYS,
                                           "engagement": ENGAGEMENT_DAYS}).fetchdf()
