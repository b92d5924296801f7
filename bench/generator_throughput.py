"""Demo-data generator throughput: POS lines per second, written as Parquet.

    python bench/generator_throughput.py [--members N] [--days N] [--shard-members N]

Prints the time of each stage (simulation per dataset, writing) and the throughput in POS
lines per second, (a) for the whole generator (every dataset of the contract) and (b) for
the point-of-sale stage alone (purchase simulation, till receipts, their Parquet files).
The whole generator runs in a child process, so its peak RSS is its own: it simulates
``--shard-members`` members at a time and should stay flat as ``--members`` grows.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from orchestration.generator import GeneratorConfig, generate_till_lines

WHOLE = """
import datetime as dt, json, sys, time
from pathlib import Path
from orchestration.generator import GeneratorConfig, generate
cfg = json.loads(sys.argv[1])
cfg = GeneratorConfig(**{**cfg, "start": dt.date.fromisoformat(cfg["start"])})
started = time.perf_counter()
result = generate(cfg, Path(sys.argv[2]))
seconds = time.perf_counter() - started
peak = [int(line.split()[1]) / 1024 for line in open("/proc/self/status")
        if line.startswith("VmHWM:")][0]
print(json.dumps({"seconds": seconds, "rows": result.rows, "rss_mib": peak}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=40_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--shard-members", type=int, default=GeneratorConfig.shard_members)
    args = parser.parse_args()
    cfg = GeneratorConfig(members=args.members, days=args.days, start=dt.date(2025, 1, 1),
                          csv_format="parquet", shard_members=args.shard_members)
    with tempfile.TemporaryDirectory() as tmp:
        stages: dict[str, float] = {}
        lines = generate_till_lines(cfg, Path(tmp) / "pos_only", timings=stages)
        pos_seconds = sum(stages.values())
        config = {**dataclasses.asdict(cfg), "start": cfg.start.isoformat()}
        whole = json.loads(subprocess.run(
            [sys.executable, "-c", WHOLE, json.dumps(config), str(Path(tmp) / "all")],
            capture_output=True, text=True, check=True).stdout.splitlines()[-1])
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    total, rows = whole["seconds"], whole["rows"]
    print(f"generator benchmark: {args.members:,} members x {args.days} days, Parquet")
    print(f"{'stage':<28}{'seconds':>10}")
    for name, sec in stages.items():
        print(f"  POS {name:<24}{sec:>10.2f}")
    print(f"  {'whole generator':<26}{total:>10.2f}")
    print(f"POS lines:                      {lines:>12,}")
    print(f"POS stage throughput:           {lines / pos_seconds:>12,.0f} lines/s")
    print(f"whole generator throughput:     {rows['pos_transactions'] / total:>12,.0f} POS "
          f"lines/s (all {sum(rows.values()):,} rows of every dataset, "
          f"{len(cfg.shards)} shard(s) of up to {cfg.shard_members:,} members)")
    print(f"peak RSS, POS stage in one go:  {rss:>12,.0f} MiB")
    print(f"peak RSS, whole generator:      {whole['rss_mib']:>12,.0f} MiB")


if __name__ == "__main__":
    main()
