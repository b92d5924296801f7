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

import numpy as np

from orchestration.generator import GeneratorConfig, generate
from orchestration.generator.simulate import _Simulation
from orchestration.generator.writers import write_daily_csv


def pos_stage(cfg: GeneratorConfig, out: Path) -> tuple[int, dict[str, float]]:
    """Only what till lines need: members, purchases, receipts, Parquet files."""
    t: dict[str, float] = {}
    start = time.perf_counter()
    sim = _Simulation(cfg)
    stores = sim.stores()
    sim.store_ids = stores["store_id"].to_numpy()[:-1]
    sim.products()
    sim.member_traits()
    sim.member_register()
    t["members"] = time.perf_counter() - start
    mark = time.perf_counter()
    purchases = sim.purchases()
    t["purchases"] = time.perf_counter() - mark
    mark = time.perf_counter()
    sales = sim.till(purchases)
    t["till lines"] = time.perf_counter() - mark
    mark = time.perf_counter()
    table = sim.transactions_table(sales)
    t["arrow table"] = time.perf_counter() - mark
    mark = time.perf_counter()
    write_daily_csv(table, out / "pos" / "transactions", "parquet",
                    np.datetime64(cfg.start, "D"), lambda: None)
    t["write parquet"] = time.perf_counter() - mark
    return table.num_rows, t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=40_000)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    cfg = GeneratorConfig(members=args.members, days=args.days, start=dt.date(2025, 1, 1),
                          csv_format="parquet")
    with tempfile.TemporaryDirectory() as tmp:
        lines, stages = pos_stage(cfg, Path(tmp) / "pos_only")
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
