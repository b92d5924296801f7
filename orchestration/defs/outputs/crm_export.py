"""Daily CRM exports: consented members, campaign fields only, CSV and Parquet."""


import dagster as dg

from orchestration.defs.dbt.assets import dbt_asset_key
from orchestration.defs.partitions import daily_partitions, days_of, single_run
from orchestration.lib.storage import WAREHOUSE_POOL, LoyaltyStorage

OWNER = "team:crm-analytics"

# Only what a campaign tool needs to act; it maps member_id to contact details itself.
EXPORT_SQL = """
select
    segments.member_id,
    segments.as_of_date,
    segments.segment,
    segments.rfm_segment,
    segments.tier_held,
    segments.churn_risk_band,
    segments.value_band,
    segments.next_best_action,
    segments.action_detail,
    nudges.nudge_message,
    risk.risk_rank as churn_risk_rank
from outputs.member_segments as segments
left join outputs.churn_risk as risk using (member_id, as_of_date)
left join marts.tier_nudges as nudges
    on nudges.member_id = segments.member_id and nudges.as_of_date = segments.as_of_date
where segments.as_of_date = $d and segments.has_marketing_consent
  and segments.next_best_action != 'no_action'
order by segments.member_id
"""


@dg.asset(
    key=["outputs", "crm_export"],
    group_name="outputs",
    description=(
        "The daily CRM export under `LOYALTY_EXPORTS_DIR/<as-of date>/` as "
        "`member_actions.csv` and `member_actions.parquet`: one row per member with "
        "marketing consent and an action (not `no_action`), with only the fields a campaign "
        "tool needs (member id, segment, tier, risk and value bands, next best action, tier "
        "nudge message, churn-risk rank). No contact details, no personal data: the "
        "campaign tool maps member_id to its own contact records. Files are written to a "
        "temporary name and renamed, so a reader never sees half a file."
    ),
    partitions_def=daily_partitions,
    backfill_policy=single_run,
    deps=[dg.AssetKey(["outputs", "member_segments"]), dg.AssetKey(["outputs", "churn_risk"]),
          dbt_asset_key("tier_nudges")],
    kinds={"python", "duckdb", "csv", "parquet"},
    owners=[OWNER],
    pool=WAREHOUSE_POOL,
)
def crm_export(context: dg.AssetExecutionContext,
               storage: LoyaltyStorage) -> dg.MaterializeResult:
    days = days_of(context)
    written = {}
    with storage.connect(read_only=True) as con:
        for day in days:
            folder = storage.exports_path / day.isoformat()
            folder.mkdir(parents=True, exist_ok=True)
            rows = con.sql(EXPORT_SQL, params={"d": day})
            for fmt in ("csv", "parquet"):
                target = folder / f"member_actions.{fmt}"
                tmp = folder / f".member_actions.{fmt}.tmp"
                getattr(rows, f"write_{fmt}")(str(tmp))
                tmp.replace(target)
            written[day.isoformat()] = rows.shape[0]
    last = days[-1].isoformat()
    return dg.MaterializeResult(metadata={
        "last_as_of_date": last,
        "dagster/row_count": written[last],
        "folder": dg.MetadataValue.path(str(storage.exports_path / last)),
        "rows_per_day": dg.MetadataValue.json(written),
    })
