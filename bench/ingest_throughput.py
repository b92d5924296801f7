"""Ingest throughput: our ingest of a year of daily till files vs a bare DuckDB COPY.

    python bench/ingest_throughput.py --lines 1000000 [--format csv|parquet] [--dagster]
    python bench/ingest_throughput.py --landing DIR [--format csv|parquet]
    (either with [--repeat N])

Generates POS files with the project's generator (members scaled to reach about
``--lines``), or takes the ``pos/transactions`` files of an existing landing folder
(``--landing``, e.g. one written by ``loyalty generate``), then, in one run on the same files:

- reference: ``COPY (SELECT *, <day from the file name> FROM read_csv/read_parquet(...))
  TO ... (FORMAT parquet, PARTITION_BY (business_date))`` in DuckDB;
- ours: the ingest library (read the files, Parquet numbers and dates in their own type and
  the rest as text; validate every row against the contract; quarantine, ledger, atomic
  partition swaps), in a child process so its peak RSS is its own;
- with ``--dagster``: the `pos_transactions` asset through Dagster (one single-run backfill
  over the year, events recorded in a temporary SQLite instance).

Prints seconds, lines/s, peak RSS and the ratio ours / reference: the medians of ``--repeat``
runs of each (3 by default), run alternately, and each run's ratio.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
from pipeline import reference_copy

from orchestration.generator import GeneratorConfig, generate_till_lines
from orchestration.lib.contract import POS_TRANSACTIONS

LINES_PER_MEMBER_YEAR = 45  # measured: 1,813,940 lines from 40,000 members x 365 days


def timed_reference_copy(landing: Path, out: Path) -> float:
    """Seconds of the reference COPY of the landing folder's till files (``pipeline.py``'s,
    in a connection of DuckDB's defaults), written under ``out``."""
    started = time.perf_counter()
    con = duckdb.connect()
    reference_copy(con, landing, out, POS_TRANSACTIONS)
    con.close()
    return time.perf_counter() - started


# Peak RSS of this process since exec: VmHWM. (ru_maxrss would include the parent's peak,
# which Linux carries over to a forked child.)
PEAK = """
def peak_rss_mib():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
"""

# ours, in a child process: argv = landing folder, lake folder, dataset (default the till lines)
OURS = PEAK + """
import json, sys, time
from collections import defaultdict
from pathlib import Path
from orchestration.lib.contract import DATASETS
from orchestration.lib.ingest import ingest_days
from orchestration.lib.lake import Lake
from orchestration.lib.landing import discover
landing, lake = Path(sys.argv[1]), Lake(Path(sys.argv[2]))
dataset = DATASETS[sys.argv[3] if len(sys.argv) > 3 else "pos_transactions"]
started, cpu = time.perf_counter(), time.process_time()
by_day = defaultdict(list)
for f in discover(landing, dataset):
    by_day[f.business_date].append(f)
results = ingest_days(dataset, by_day, lake)
print(json.dumps({"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu,
                  "loaded": sum(r.rows_loaded for r in results), "rss_mib": peak_rss_mib()}))
"""

DAGSTER = PEAK + """
import json, os, sys, time
import dagster as dg
from orchestration.definitions import defs
d = defs()
job = d.resolve_job_def("landing_ingest")
started = time.perf_counter()
with dg.instance_for_test() as instance:
    job.execute_in_process(instance=instance, asset_selection=[dg.AssetKey("pos_transactions")],
        tags={"dagster/asset_partition_range_start": sys.argv[1],
              "dagster/asset_partition_range_end": sys.argv[2]},
        run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}})
print(json.dumps({"seconds": time.perf_counter() - started, "rss_mib": peak_rss_mib()}))
"""


def child(code: str, *args: str, env: dict | None = None) -> dict:
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          check=True, env=env)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    parser.add_argument("--dagster", action="store_true")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each side, alternating; the medians are compared")
    parser.add_argument("--landing", type=Path,
                        help="use this landing folder's till files instead of generating")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    members = max(100, args.lines // LINES_PER_MEMBER_YEAR)
    start = dt.date(2025, 1, 1)
    cfg = GeneratorConfig(members=members, days=365, start=start, csv_format=args.format)
    with tempfile.TemporaryDirectory(dir=Path.cwd() / "bench") as tmp:
        root = Path(tmp)
        landing = args.landing or root / "landing"
        till = landing / "pos" / "transactions"
        if args.landing is None:
            lines = generate_till_lines(cfg, landing)
        else:
            lines = duckdb.sql(f"select count(*) from read_{args.format}('{till}/*.{args.format}')"
                               ).fetchall()[0][0]
            members = None
        size = sum(p.stat().st_size for p in till.glob(f"*.{args.format}"))
        days = len({p.name[:10] for p in till.glob(f"*.{args.format}")})
        # the two alternate, so that a busy spell of the shared machine hits both
        refs, runs = [], []
        for i in range(args.repeat):
            refs.append(timed_reference_copy(landing, root / f"reference{i}"))
            runs.append(child(OURS, str(landing), str(root / f"lake{i}")))
            assert runs[-1]["loaded"] == lines, (runs[-1]["loaded"], lines)
            shutil.rmtree(root / f"reference{i}")
            shutil.rmtree(root / f"lake{i}")
        ref = statistics.median(refs)
        ours = {"seconds": statistics.median(r["seconds"] for r in runs),
                "rss_mib": max(r["rss_mib"] for r in runs)}
        rows = [("reference: DuckDB COPY", ref, None), ("ours: ingest library", ours["seconds"],
                                                        ours["rss_mib"])]
        if args.dagster:
            import os

            env = {**os.environ, "LOYALTY_DATA_DIR": str(root / "dg"),
                   "LOYALTY_LANDING_DIR": str(landing)}
            first, last = min(p.name[:10] for p in till.iterdir()), max(
                p.name[:10] for p in till.iterdir())
            dag = child(DAGSTER, first, last, env=env)
            rows.append(("ours: Dagster asset, one run", dag["seconds"], dag["rss_mib"]))
    print(f"ingest benchmark: {lines:,} POS lines in {days} days of {args.format} files "
          f"({size / 2**20:,.0f} MiB)" + (f", {members:,} members" if members else ""))
    print(f"{'':<32}{'seconds':>9}{'lines/s':>12}{'ratio':>8}{'peak RSS MiB':>14}")
    for name, sec, rss in rows:
        print(f"{name:<32}{sec:>9.1f}{lines / sec:>12,.0f}{sec / ref:>8.2f}"
              f"{'' if rss is None else f'{rss:,.0f}':>14}")
    if args.repeat > 1:
        print(f"medians of {args.repeat} alternating runs; each run's ratio: "
              + ", ".join(f"{r['seconds'] / f:.2f}" for f, r in zip(refs, runs, strict=True)))
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"bench process (generator + reference COPY) peak RSS: {own:,.0f} MiB")


if __name__ == "__main__":
    main()
