"""Shared set-up of tests that need a lake: every landing file ingested, day by day."""

from collections import defaultdict
from pathlib import Path

from orchestration.lib.contract import DATASETS
from orchestration.lib.ingest import ingest_days
from orchestration.lib.lake import Lake
from orchestration.lib.landing import discover


def ingest_landing(landing_dir: Path, lake: Lake) -> None:
    """Ingest every well-named landing file of every dataset, as the ingest assets would."""
    for ds in DATASETS.values():
        by_day = defaultdict(list)
        for f in discover(landing_dir, ds):
            if f.name_error is None:
                by_day[f.business_date].append(f)
        ingest_days(ds, dict(by_day), lake)
