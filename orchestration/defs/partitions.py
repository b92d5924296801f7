"""The business-day partitions every daily asset shares."""

import datetime as dt

import dagster as dg

from orchestration.lib.settings import Settings

_settings = Settings.from_env()

# One partition per store-local business day, from LOYALTY_FIRST_BUSINESS_DATE to yesterday.
daily_partitions = dg.DailyPartitionsDefinition(
    start_date=_settings.first_business_date.isoformat(),
    timezone=_settings.timezone,
)


def days_of(context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext) -> list[dt.date]:
    """The business days of the run's partition window (one day, or a backfill range)."""
    window = context.partition_time_window
    start, end = window.start.date(), window.end.date()
    return [start + dt.timedelta(days=i) for i in range((end - start).days)]


# A backfill over many days runs once over the whole range instead of once per day.
single_run = dg.BackfillPolicy.single_run()
