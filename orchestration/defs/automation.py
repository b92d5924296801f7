"""Jobs and schedules."""

import dagster as dg

from orchestration.defs.partitions import daily_partitions

# Everything, for one business day (the schedule) or a range of days (a backfill, which
# runs once over the whole range thanks to the single-run backfill policies).
loyalty_daily = dg.define_asset_job(
    "loyalty_daily",
    selection=dg.AssetSelection.all(),
    partitions_def=daily_partitions,
    description="Ingest, build the marts, score and publish for a business day.",
)

# 02:00 store-local time, for the business day that just ended.
loyalty_daily_schedule = dg.build_schedule_from_partitioned_job(
    loyalty_daily, hour_of_day=2, minute_of_hour=0,
)
