"""Great Expectations suites on the outputs the CRM team acts on."""


import dagster as dg

from orchestration.defs.partitions import days_of
from orchestration.lib.gx_runner import load_suite, run_suite
from orchestration.lib.storage import LoyaltyStorage


def build_output_suite_check(table: str) -> dg.AssetChecksDefinition:
    """The suite ``expectations/<schema>_<table>.json`` on the run's as-of dates of
    ``outputs.<table>``; blocking as the suite's ``meta.blocking`` says."""
    suite = f"outputs_{table}"
    meta = load_suite(suite).get("meta", {})

    @dg.asset_check(
        asset=dg.AssetKey(["outputs", table]),
        name="great_expectations",
        blocking=bool(meta.get("blocking", False)),
        description=f"Great Expectations suite `expectations/{suite}.json`: "
                    f"{meta.get('description', '')}",
    )
    def _check(context: dg.AssetCheckExecutionContext,
               storage: LoyaltyStorage) -> dg.AssetCheckResult:
        days = days_of(context)
        with storage.connect(read_only=True) as con:
            df = con.execute(f"select * from outputs.{table} "  # table name is ours
                             "where as_of_date between $a and $b",
                             {"a": days[0], "b": days[-1]}).fetchdf()
        outcome = run_suite(df, suite)
        return dg.AssetCheckResult(passed=outcome.success, metadata=outcome.metadata())

    return _check


output_checks = [build_output_suite_check(t) for t in ("member_segments", "churn_risk")]
