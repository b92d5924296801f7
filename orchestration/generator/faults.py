"""Realistic faults for tests: bad rows and bad files of the kinds the contract forbids.

Every injected fault is listed in the returned manifest (dataset, file, kind, rows), so a test
can check that the pipeline quarantined each one and said why.
"""

from __future__ import annotations

import gzip
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Fault:
    dataset: str
    file: str  # path relative to the landing folder
    kind: str
    rows: int  # rows affected; 0 for a whole-file fault with no readable rows

    def as_dict(self) -> dict:
        return asdict(self)


# (dataset, column, bad value, kind): one bad row each
ROW_FAULTS = [
    ("pos_transactions", "transaction_id", None, "missing_required"),
    ("pos_transactions", "line_number", "0", "out_of_range"),
    ("pos_transactions", "quantity", "abc", "not_a_number"),
    ("pos_transactions", "transaction_ts", "2025-02-30T25:61:00", "bad_timestamp"),
    ("pos_transactions", "unit_price", "-5.00", "out_of_range"),
    ("pos_transactions", "net_amount", "12,50", "not_a_number"),
    ("pos_transactions", "payment_method", "seashells", "not_in_enumeration"),
    ("crm_members", "enrolled_at", None, "missing_required"),
    ("crm_members", "birth_date", "1990-13-01", "bad_date"),
    ("crm_members", "marketing_consent", "maybe", "not_a_boolean"),
    ("crm_points", "entry_type", "gift", "not_in_enumeration"),
    ("crm_points", "points", "1.5", "not_an_integer"),
    ("survey_responses", "nps", "11", "out_of_range"),
    ("survey_responses", "touchpoint", "carrier_pigeon", "not_in_enumeration"),
]


def corrupt_rows(frames: dict[str, pd.DataFrame], rng: np.random.Generator) -> dict[str, list]:
    """Replace single values with bad ones; returns dataset -> [(row position, kind)]."""
    hits: dict[str, list] = {}
    for dataset, column, value, kind in ROW_FAULTS:
        df = frames[dataset]
        if df.empty:
            continue
        pos = int(rng.integers(0, len(df)))
        # text, so that a number column can carry a value that is not a number
        df[column] = df[column].astype("string")
        df.iat[pos, df.columns.get_loc(column)] = value
        hits.setdefault(dataset, []).append((pos, kind))
    # a duplicated receipt line: same (transaction_id, line_number) twice on the same day
    tx = frames["pos_transactions"]
    if tx.empty:
        return hits
    pos = int(rng.integers(0, len(tx)))
    frames["pos_transactions"] = pd.concat([tx.iloc[: pos + 1], tx.iloc[[pos]], tx.iloc[pos + 1:]],
                                           ignore_index=True)
    hits.setdefault("pos_transactions", []).append((pos + 1, "duplicate_key"))
    return hits


def bad_files(landing: Path, day: str) -> list[Fault]:
    """Whole-file faults dropped next to the clean files of ``day``."""
    faults: list[Fault] = []
    tx = landing / "pos" / "transactions"
    header = ("transaction_id,line_number,store_id,transaction_ts,member_card_id,product_id,"
              "quantity,unit_price,discount_amount,net_amount,payment_method,"
              "return_of_transaction_id\n")
    row = "TX-FAULT-{n},1,S001,{day}T10:00:00,,P000001,1,9.90,0,9.90,cash,\n"

    def add(name: str, data: bytes, kind: str, rows: int, folder: Path = tx,
            dataset: str = "pos_transactions") -> None:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        faults.append(Fault(dataset, str(path.relative_to(landing)), kind, rows))

    add("2025-13-45.csv", (header + row.format(n=1, day=day)).encode(), "bad_file_date", 1)
    add(f"{day}_header_only.csv", header.encode(), "header_only", 0)
    add(f"{day}_empty.csv", b"", "empty_file", 0)
    add(f"{day}_latin1.csv", (header + row.format(n=2, day=day).replace(
        "cash", "caf\xe9")).encode("latin-1"), "undecodable_bytes", 1)
    add(f"{day}_semicolon.csv", (header + row.format(n=3, day=day)).replace(",", ";").encode(),
        "wrong_delimiter", 1)
    add(f"{day}_no_amount.csv", (header.replace(",net_amount", "") + row.format(
        n=4, day=day).replace(",9.90,cash", ",cash")).encode(), "missing_required_column", 1)
    full = gzip.compress((header + row.format(n=5, day=day) * 50).encode(), mtime=0)
    add(f"{day}_truncated.csv.gz", full[: len(full) // 2], "truncated_gzip", 0)
    add(f"{day}_corrupt.parquet", b"PAR1" + b"\x00garbage\x00" * 20, "corrupt_parquet", 0)
    orders = landing / "online" / "orders"
    add(f"{day}_malformed.jsonl", b'{"order_id": "O-FAULT", "account_id": "A1", \n',
        "malformed_json", 1, folder=orders, dataset="online_orders")
    return faults
