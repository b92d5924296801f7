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


REDELIVERED = "_redelivered"  # name suffix of the file redeliver_next_day writes


def redeliver_next_day(landing: Path, day: dt.date, events: int) -> None:
    """At-least-once delivery across days: some events of ``day`` come again in a file of
    the next day."""
    folder = landing / "online" / "events"
    [source] = [p for p in folder.iterdir() if p.name.startswith(day.isoformat())]
    opener = gzip.open if source.suffix == ".gz" else open
    with opener(source, "rt", encoding="utf-8") as f:
        lines = [next(f) for _ in range(events)]
    nxt = (day + dt.timedelta(days=1)).isoformat()
    (folder / f"{nxt}{REDELIVERED}.jsonl").write_text("".join(lines), encoding="utf-8")


def header_only(files: list[LandingFile]) -> dict[Path, bytes]:
    """Rewrite landing files to hold no row (a day corrected to no rows): a CSV file keeps
    its header line, a JSON-lines file is left empty. Returns their original bytes."""
    originals = {}
    for landing_file in files:
        path = landing_file.path
        if not path.name.endswith((".csv", ".csv.gz", ".jsonl", ".jsonl.gz")):
            raise ValueError(f"header_only rewrites CSV and JSON-lines files, not {path.name}")
        gzipped = path.suffix == ".gz"
        originals[path] = path.read_bytes()
        text = gzip.decompress(originals[path]) if gzipped else originals[path]
        kept = b"" if ".jsonl" in path.suffixes else text.split(b"\n", 1)[0] + b"\n"
        path.write_bytes(gzip.compress(kept) if gzipped else kept)
    return originals


# The incremental staging tables of the datasets a test empties by a correction to no rows
# (header_only), and the column naming their business day
EMPTIED_STAGING = {"pos_transactions": ("staging.stg_pos__transaction_lines", "transaction_date"),
                   "crm_points": ("staging.stg_crm__points_entries", "business_date"),
                   "online_events": ("staging.stg_online__events", "business_date")}


def files_to_empty(files: dict[str, dict], day: dt.date) -> list[LandingFile]:
    """The EMPTIED_STAGING datasets' files of ``day``, except a file of events redelivered
    from the day before: the day is left with copies of rows an earlier day holds, which
    must not bring the day back either."""
    return [f for name in EMPTIED_STAGING for f in files[name][day]
            if REDELIVERED not in f.path.name]


def staging_rows_on(con, day: dt.date, catalog: str | None = None) -> dict[str, int]:
    """Rows of each EMPTIED_STAGING table on ``day`` (in ``catalog``, when given)."""
    prefix = f"{catalog}." if catalog else ""
    return {name: con.execute(f"select count(*) from {prefix}{table} where {column} = ?",
                              [day]).fetchone()[0]
            for name, (table, column) in EMPTIED_STAGING.items()}
