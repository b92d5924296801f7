"""Each member's purchase history as of a date, in the shape BG/NBD and Gamma-Gamma take.

One query for the CLV scores and for the churn model's BG/NBD baseline, so both read the
same frequency, recency and age.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

# frequency = repeat purchase days, recency = days from the first to the last purchase day,
# age (BG/NBD's T) = days from the first purchase day to the as-of date, monetary_value =
# mean net spend of the repeat purchase days (0 without repeats)
PURCHASE_HISTORY_SQL = """
with purchase_days as (
    select
        member_id,
        sales_date,
        net_spend,
        row_number() over (partition by member_id order by sales_date) as nth
    from marts.fct_member_daily_sales
    where purchases > 0 and sales_date <= $as_of and member_id is not null
)
select
    member_id,
    cast(count(*) - 1 as double) as frequency,
    cast(date_diff('day', min(sales_date), max(sales_date)) as double) as recency,
    cast(date_diff('day', min(sales_date), cast($as_of as date)) as double) as age,
    cast(coalesce(sum(case when nth > 1 then net_spend end) / nullif(count(*) - 1, 0), 0)
         as double) as monetary_value
from purchase_days
group by member_id
order by member_id
"""


def purchase_history(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame:
    """One row per member with a purchase on or before ``as_of``, indexed by member_id."""
    return con.execute(PURCHASE_HISTORY_SQL, {"as_of": as_of}).fetchdf().set_index("member_id")
