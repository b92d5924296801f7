"""Small helpers for materialisation metadata shown in the Dagster UI."""

from __future__ import annotations

import pandas as pd


def markdown_table(df: pd.DataFrame, max_rows: int = 5) -> str:
    """A Markdown table of the first rows (no extra dependency such as tabulate)."""
    if df.empty:
        return "(no rows)"
    head = df.head(max_rows).astype(object).where(df.head(max_rows).notna(), "")
    cols = [str(c) for c in head.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in head.itertuples(index=False):
        lines.append("| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |")
    return "\n".join(lines)
