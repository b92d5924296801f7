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

    def __post_init__(self) -> None:
        if self.members < 1 or self.days < 1:
            raise ValueError("members and days must be at least 1")
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
    def end(self) -> dt.date:
        """The last business day generated (inclusive)."""
        return self.start + dt.timedelta(days=self.days - 1)
