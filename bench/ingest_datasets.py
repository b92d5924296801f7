"""Ingest per landing dataset: our ingest library vs a bare DuckDB COPY of the same files.

    python bench/ingest_datasets.py --landing DIR [DATASET ...]

Takes an existing landing folder (e.g. the ``generated`` folder of ``bench/pipeline.py``'s
work folder, or ``loyalty generate``'s output) and, for each daily dataset in turn, in one
run on the same files:

- reference: the COPY of ``bench/pipeline.py``'s reference run (``read_csv``/``read_json``
  of every file, partitioned by the day in the file name), with the pipeline's DuckDB
  settings (memory cap, spill folder);
- ours: ``ingest_days`` over every day (validation, quarantine, ledger, partition swaps),
  in a child process, so that its CPU time and peak RSS are its own.

Prints files, seconds, our CPU seconds, the ratio and our peak RSS per dataset, then the
totals: where the ingest layer of ``bench/pipeline.py`` spends its time, without Dagster.

Run it as a script from the project folder with the project's environment (``make`` builds
it): it imports its neighbours in ``bench/``, and its child process imports the project.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb
from ingest_throughput import OURS, child
from pipeline import reference_copy


def main() -> None:
    from orchestration.lib.contract import DATASETS
    from orchestration.lib.landing import discover
    from orchestration.lib.settings import Settings

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("datasets", nargs="*", help="daily datasets (default: all of them)")
    args = parser.parse_args()
    names = args.datasets or [d.name for d in DATASETS.values() if d.daily]
    settings = Settings.from_env()
    Path(settings.duckdb_config["temp_directory"]).mkdir(parents=True, exist_ok=True)
    print(f"ingest per dataset, landing {args.landing}")
    print(f"{'dataset':<20}{'files':>7}{'reference s':>13}{'ours s':>9}{'ours CPU s':>12}"
          f"{'ratio':>7}{'peak RSS MiB':>14}")
    totals = [0.0, 0.0]
    for name in names:
        dataset = DATASETS[name]
        files = len(discover(args.landing, dataset))
        if not files:
            print(f"{name:<20}{0:>7}  (no files)")
            continue
        with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
            con = duckdb.connect(config=settings.duckdb_config)
            started = time.perf_counter()
            reference_copy(con, args.landing, Path(tmp), dataset)
            ref = time.perf_counter() - started
            con.close()
            ours = child(OURS, str(args.landing), f"{tmp}/lake", name)
        totals[0] += ref
        totals[1] += ours["seconds"]
        print(f"{name:<20}{files:>7}{ref:>13.1f}{ours['seconds']:>9.1f}{ours['cpu']:>12.1f}"
              f"{ours['seconds'] / ref:>7.2f}{ours['rss_mib']:>14,.0f}", flush=True)
    print(f"{'total':<20}{'':>7}{totals[0]:>13.1f}{totals[1]:>9.1f}{'':>12}"
          f"{totals[1] / totals[0]:>7.2f}")


if __name__ == "__main__":
    main()
