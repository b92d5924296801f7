"""Shared set-up of tests that need a lake: landing files grouped and ingested day by day."""

import datetime as dt
import gzip
from collections import defaultdict
from pathlib import Path

from orchestration.lib.contract import DATASETS
from orchestration.lib.ingest import ingest_days
from orchestration.lib.lake import Lake
from orchestration.lib.landing import LandingFile, discover


def ingest_landing(landing_dir: Path, lake: Lake) -> None:
    """Ingest every well-named landing file of every dataset, as the ingest assets would."""
    for ds in DATASETS.values():
        by_day = defaultdict(list)
        for f in discover(landing_dir, ds):
            if f.name_error is None:
                by_day[f.business_date].append(f)
        ingest_days(ds, dict(by_day), lake)


def files_by_day(landing: Path) -> dict[str, dict]:
    """Dataset name → business day (None for snapshots) → its landing files."""
    out: dict[str, dict] = {}
    for ds in DATASETS.values():
        by_day = defaultdict(list)
        for f in discover(landing, ds):
            by_day[f.business_date].append(f)
        out[ds.name] = dict(by_day)
    return out


def redeliver_next_day(landing: Path, day: dt.date, events: int) -> None:
    """At-least-once delivery across days: some events of ``day`` come again in a file of
    the next day."""
    folder = landing / "online" / "events"
    [source] = [p for p in folder.iterdir() if p.name.startswith(day.isoformat())]
    opener = gzip.open if source.suffix == ".gz" else open
    with opener(source, "rt", encoding="utf-8") as f:
        lines = [next(f) for _ in range(events)]
    nxt = (day + dt.timedelta(days=1)).isoformat()
    (folder / f"{nxt}_redelivered.jsonl").write_text("".join(lines), encoding="utf-8")


def header_only(files: list[LandingFile]) -> dict[Path, bytes]:
    """Rewrite CSV landing files to their header line (a day corrected to no rows);
    returns their original bytes."""
    originals = {}
    for landing_file in files:
        originals[landing_file.path] = landing_file.path.read_bytes()
        landing_file.path.write_bytes(originals[landing_file.path].split(b"\n", 1)[0] + b"\n")
    return originals


# The incremental staging tables of the CSV datasets a test empties by a header-only
# correction (header_only), and the column naming their business day
EMPTIED_STAGING = {"pos_transactions": ("staging.stg_pos__transaction_lines", "transaction_date"),
                   "crm_points": ("staging.stg_crm__points_entries", "business_date")}


def staging_rows_on(con, day: dt.date, catalog: str | None = None) -> dict[str, int]:
    """Rows of each EMPTIED_STAGING table on ``day`` (in ``catalog``, when given)."""
    prefix = f"{catalog}." if catalog else ""
    return {name: con.execute(f"select count(*) from {prefix}{table} where {column} = ?",
                              [day]).fetchone()[0]
            for name, (table, column) in EMPTIED_STAGING.items()}
