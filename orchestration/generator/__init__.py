"""Demo data for the loyalty warehouse: every dataset of the landing contract.

``generate(GeneratorConfig(...), landing_dir)`` simulates a retailer (see :mod:`.simulate`)
and writes its exports into ``landing_dir`` exactly as ``shared/contracts/landing.md`` lays
them out. Used by ``loyalty generate``, ``make run``, the tests and the benchmarks.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import pyarrow as pa
from tqdm import tqdm

from . import faults as fault_mod
from .config import GeneratorConfig
from .simulate import World, simulate
from .writers import (
    DAILY_PATHS,
    SNAPSHOT_PATHS,
    business_days,
    write_daily_csv,
    write_daily_jsonl,
    write_table,
)

__all__ = ["GeneratorConfig", "GenerationResult", "generate", "simulate", "World"]
MANIFEST = "_generator.json"


@dataclass
class GenerationResult:
    landing_dir: Path
    rows: dict[str, int]
    files: int
    seconds: float
    faults: list[dict] = field(default_factory=list)

    @property
    def pos_lines(self) -> int:
        return self.rows["pos_transactions"]


def generate_till_lines(cfg: GeneratorConfig, landing_dir: Path,
                        timings: dict[str, float] | None = None) -> int:
    """Only the point-of-sale files (stores, products, daily till lines), for benchmarks
    that need many lines fast; the format is ``cfg.csv_format``. Returns the line count.
    ``timings``, when given, receives the seconds of each stage."""
    from .simulate import _Simulation

    clock = {"last": time.perf_counter()}

    def lap(stage: str) -> None:
        now = time.perf_counter()
        if timings is not None:
            timings[stage] = now - clock["last"]
        clock["last"] = now

    sim = _Simulation(cfg)
    stores = sim.stores()
    sim.store_ids = stores["store_id"].to_numpy()[:-1]
    products = sim.products()
    sim.member_traits()
    sim.member_register()
    lap("members")
    purchases = sim.purchases()
    lap("purchases")
    sales = sim.till(purchases)
    lap("till lines")
    table = sim.transactions_table(sales)
    lap("arrow table")
    for df, rel in ((stores, SNAPSHOT_PATHS["pos_stores"]),
                    (products, SNAPSHOT_PATHS["pos_products"])):
        write_table(pa.Table.from_pandas(df, preserve_index=False), landing_dir / f"{rel}.csv",
                    "csv")
    write_daily_csv(table, landing_dir / DAILY_PATHS["pos_transactions"][0], cfg.csv_format,
                    np.datetime64(cfg.start, "D"), lambda: None)
    lap(f"write {cfg.csv_format}")
    return table.num_rows


def generate(cfg: GeneratorConfig, landing_dir: Path) -> GenerationResult:
    """Simulate and write every landing dataset; returns row counts and timing.

    Members are simulated ``cfg.shard_members`` at a time and each shard is written before
    the next starts, so memory does not grow with the retailer. Faults, when asked for, go
    into the first shard's files.
    """
    started = time.perf_counter()
    landing_dir.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = dict.fromkeys(DAILY_PATHS, 0)
    files, injected = 0, []
    with tqdm(total=0, desc="writing landing files", unit="file",
              disable=not cfg.progress) as bar:
        for shard, (offset, members) in enumerate(cfg.shards):
            shard_cfg = replace(cfg, members=members, stores=cfg.store_count)
            world = simulate(shard_cfg, shard, offset)
            if shard == 0:
                for dataset, rel in SNAPSHOT_PATHS.items():
                    df = world.stores if dataset == "pos_stores" else world.products
                    write_table(pa.Table.from_pandas(df, preserve_index=False),
                                landing_dir / f"{rel}.csv", "csv")
                    rows[dataset] = len(df)
                    files += 1
            suffix = f"_part{shard + 1}" if shard else ""
            n, faults, counts = _write_shard(cfg, world, landing_dir, suffix, bar,
                                             inject=cfg.faults and shard == 0)
            files += n
            injected += faults
            for dataset, count in counts.items():
                rows[dataset] += count
            del world
    if cfg.faults:
        injected += fault_mod.bad_files(landing_dir, str(cfg.start + (cfg.end - cfg.start) // 2))
    result = GenerationResult(
        landing_dir=landing_dir,
        rows=rows,
        files=files,
        seconds=time.perf_counter() - started,
        faults=[f.as_dict() for f in injected],
    )
    manifest = {"config": {**asdict(cfg), "start": cfg.start.isoformat()},
                "rows": rows, "faults": result.faults}
    (landing_dir / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return result


_WORLD_FIELDS = {"pos_transactions": "transactions", "crm_members": "members",
                 "crm_points": "points", "online_orders": "orders",
                 "online_events": "events", "survey_responses": "surveys"}


def _write_shard(cfg: GeneratorConfig, world: World, landing_dir: Path, suffix: str,
                 bar: tqdm, inject: bool) -> tuple[int, list, dict[str, int]]:
    """Write one shard's daily files; returns the file count, the faults injected and the
    rows written per dataset."""
    frames = {d: getattr(world, f) for d, f in _WORLD_FIELDS.items()}
    row_faults: dict[str, list] = {}
    if inject:
        frames["pos_transactions"] = frames["pos_transactions"].to_pandas()
        row_faults = fault_mod.corrupt_rows(frames, np.random.default_rng(cfg.seed + 1))
    first_day = np.datetime64(cfg.start, "D")
    n_files = sum(np.unique(business_days(frames[d])).size for d in DAILY_PATHS)
    bar.total += n_files
    bar.refresh()
    for dataset, (rel, family) in DAILY_PATHS.items():
        folder = landing_dir / rel
        if family == "csv":
            # a corrupted value is text, which only CSV can carry in a numeric column
            fmt = "csv" if dataset in row_faults else cfg.csv_format
            write_daily_csv(frames[dataset], folder, fmt, first_day, bar.update, suffix)
        else:
            nested = world.order_items if dataset == "online_orders" else None
            write_daily_jsonl(frames[dataset], folder, cfg.json_format, first_day,
                              bar.update, nested=nested, suffix=suffix)
    injected = []
    for dataset, hits in row_faults.items():
        dates = business_days(frames[dataset])
        rel = DAILY_PATHS[dataset][0]
        for pos, kind in hits:
            injected.append(fault_mod.Fault(dataset, f"{rel}/{dates[pos]}{suffix}.csv", kind, 1))
    return n_files, injected, {d: len(frames[d]) for d in DAILY_PATHS}
