"""Run a Great Expectations suite from ``expectations/*.json`` on a DataFrame.

GX 1.x is called directly with an ephemeral context (no project folder, no network, no
progress bars). Results are reduced to counts and expectation names: no value from the data
ever reaches the Dagster logs, which matters for personal-data columns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .settings import EXPECTATIONS_DIR


@dataclass
class SuiteOutcome:
    suite: str
    success: bool
    evaluated: int
    rows: int
    failures: list[dict] = field(default_factory=list)

    def metadata(self) -> dict:
        return {
            "suite": self.suite,
            "rows_validated": self.rows,
            "expectations_evaluated": self.evaluated,
            "expectations_failed": len(self.failures),
            "failures": self.failures,
        }


def suite_path(name: str) -> Path:
    return EXPECTATIONS_DIR / f"{name}.json"


def load_suite(name: str) -> dict:
    return json.loads(suite_path(name).read_text())


def run_suite(df: pd.DataFrame, name: str) -> SuiteOutcome:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    spec = load_suite(name)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    suite = context.suites.add(gx.ExpectationSuite(**spec))
    batch = (context.data_sources.add_pandas("lake")
             .add_dataframe_asset(name)
             .add_batch_definition_whole_dataframe("all_rows")
             .get_batch(batch_parameters={"dataframe": df}))
    # BASIC with no partial list: counts only, never the offending values
    result = batch.validate(suite, result_format={"result_format": "BASIC",
                                                  "partial_unexpected_count": 0})
    failures = []
    for r in result.results:
        if not r.success:
            kwargs = r.expectation_config.kwargs
            failures.append({
                "expectation": r.expectation_config.type,
                "column": kwargs.get("column") or ",".join(kwargs.get("column_list") or []),
                "unexpected_count": (r.result or {}).get("unexpected_count"),
            })
    return SuiteOutcome(name, bool(result.success), len(result.results), len(df), failures)
