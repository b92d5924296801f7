"""Settings of the demo-data generator."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

CSV_FORMATS = ("csv", "csv.gz", "parquet", "mixed")
JSON_FORMATS = ("jsonl", "jsonl.gz", "mixed")


@dataclass(frozen=True)
class GeneratorConfig:
    """What to generate. The same config and seed always give byte-identical files.

    ``members`` and ``days`` set the size; POS lines grow roughly as
    ``members * days * 0.25`` (about 27 receipts a year of 3.6 lines for an active member,
    plus anonymous till sales).
    """

    members: int = 5000
    days: int = 365
    start: dt.date = dt.date(2025, 9, 1)
    seed: int = 42
    stores: int | None = None
    products: int = 600
    csv_format: str = "csv"
    json_format: str = "jsonl"
    faults: bool = False
    progress: bool = False
    # Members are simulated and written this many at a time, so that memory is bounded by
    # the shard (about 2.5 GiB for 20,000 members), not by the retailer. Each shard after the
    # first writes its own file per day, ``<day>_part<N>.<ext>``, as the contract allows.
    shard_members: int = 20_000

    def __post_init__(self) -> None:
        if self.members < 1 or self.days < 1 or self.shard_members < 1:
            raise ValueError("members, days and shard_members must be at least 1")
        if self.csv_format not in CSV_FORMATS:
            raise ValueError(f"csv_format must be one of {CSV_FORMATS}, not {self.csv_format!r}")
        if self.json_format not in JSON_FORMATS:
            raise ValueError(
                f"json_format must be one of {JSON_FORMATS}, not {self.json_format!r}"
            )

    @property
    def store_count(self) -> int:
        return self.stores or max(6, min(500, self.members // 300))

    @property
    def shards(self) -> list[tuple[int, int]]:
        """(first member offset, members) of each shard."""
        return [(first, min(self.shard_members, self.members - first))
                for first in range(0, self.members, self.shard_members)]

    @property
    def end(self) -> dt.date:
        """The last business day generated (inclusive)."""
        return self.start + dt.timedelta(days=self.days - 1)
