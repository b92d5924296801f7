"""dbt arguments derived from a Dagster partition window."""

from __future__ import annotations

import datetime as dt
import json
import os

DEFAULT_LOOKBACK_DAYS = 3


def lookback_days() -> int:
    """Days before the window that incremental models re-process for late data."""
    return int(os.environ.get("LOYALTY_LOOKBACK_DAYS", DEFAULT_LOOKBACK_DAYS))


def partitioned_dbt_vars(start: dt.datetime | dt.date, end: dt.datetime | dt.date,
                         lookback: int = DEFAULT_LOOKBACK_DAYS) -> dict[str, str]:
    """The vars of an incremental run over the partition window ``[start, end)``.

    ``end`` is exclusive, as Dagster's time windows are; the vars are inclusive business
    days, and the window is widened by ``lookback`` days to pick up late-arriving data.

    >>> partitioned_dbt_vars(dt.date(2026, 3, 5), dt.date(2026, 3, 6), lookback=3)
    {'min_business_date': '2026-03-02', 'max_business_date': '2026-03-05'}
    """
    start_day = start.date() if isinstance(start, dt.datetime) else start
    end_day = end.date() if isinstance(end, dt.datetime) else end
    if end_day <= start_day:
        raise ValueError(f"empty partition window: {start_day} to {end_day}")
    return {
        "min_business_date": (start_day - dt.timedelta(days=lookback)).isoformat(),
        "max_business_date": (end_day - dt.timedelta(days=1)).isoformat(),
    }


def vars_arg(variables: dict[str, str]) -> list[str]:
    return ["--vars", json.dumps(variables, sort_keys=True)]
