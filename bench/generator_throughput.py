"""Demo-data generator throughput: POS lines per second, written as Parquet.

    python bench/generator_throughput.py [--members N] [--days N]

Prints the time of each stage (simulation per dataset, writing) and the throughput in POS
lines per second, (a) for the whole generator (every dataset of the contract) and (b) for
the point-of-sale stage alone (purchase simulation, till receipts, their Parquet files).
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import tempfile
import time
from pathlib import Path

from orchestration.generator import GeneratorConfig, generate, generate_till_lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=40_000)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    cfg = GeneratorConfig(members=args.members, days=args.days, start=dt.date(2025, 1, 1),
                          csv_format="parquet")
    with tempfile.TemporaryDirectory() as tmp:
        stages: dict[str, float] = {}
        lines = generate_till_lines(cfg, Path(tmp) / "pos_only", timings=stages)
        pos_seconds = sum(stages.values())
        started = time.perf_counter()
        result = generate(cfg, Path(tmp) / "all")
        total = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"generator benchmark: {args.members:,} members x {args.days} days, Parquet")
    print(f"{'stage':<28}{'seconds':>10}")
    for name, sec in stages.items():
        print(f"  POS {name:<24}{sec:>10.2f}")
    print(f"  {'whole generator':<26}{total:>10.2f}")
    print(f"POS lines:                      {lines:>12,}")
    print(f"POS stage throughput:           {lines / pos_seconds:>12,.0f} lines/s")
    print(f"whole generator throughput:     {result.pos_lines / total:>12,.0f} POS lines/s "
          f"(all {sum(result.rows.values()):,} rows of every dataset)")
    print(f"peak RSS:                       {rss:>12,.0f} MiB")


if __name__ == "__main__":
    main()
