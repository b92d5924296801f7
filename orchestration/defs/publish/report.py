"""Pictures of the key figures for people who would rather look than read."""

from pathlib import Path

import dagster as dg
import duckdb

from orchestration.defs.publish.serving import OWNER, SERVING_KEY
from orchestration.lib.report import draw_all, html_page
from orchestration.lib.serving import SERVING_FILE
from orchestration.lib.storage import LoyaltyStorage

REPORT_FILE = "report.html"


@dg.asset(
    key=["serving", "report"],
    group_name="publish",
    description=(
        "The key figures as pictures, drawn from the published serving file (so they show "
        "exactly what BI tools see): NPS trend by channel, cohort retention heatmap, segment "
        "sizes on the latest as-of date, and the churn model's lift chart against its "
        "baselines. Shown in this asset's metadata and written as one self-contained page, "
        f"`LOYALTY_SERVING_DIR/{REPORT_FILE}`. Aggregates only: no member in any picture."
    ),
    deps=[SERVING_KEY],
    kinds={"python", "html"},
    owners=[OWNER],
    tags={"layer": "publish"},
)
def report(context: dg.AssetExecutionContext, storage: LoyaltyStorage) -> dg.MaterializeResult:
    serving_dir = Path(storage.serving_dir)
    # the serving file, read-only: no warehouse lock, so this step needs no pool slot
    with duckdb.connect(str(serving_dir / SERVING_FILE), read_only=True) as con:
        published_at = con.execute("select published_at from serving_meta.publication"
                                   ).fetchone()[0]
        figures = draw_all(con)
    page = serving_dir / REPORT_FILE
    staged = page.with_suffix(".html.tmp")
    staged.write_text(html_page(figures, "Loyalty programme: key figures",
                                f"Published {published_at:%Y-%m-%d %H:%M} UTC"))
    staged.replace(page)
    context.log.info(f"{len(figures)} figures drawn into {page}")
    return dg.MaterializeResult(metadata={
        "report": dg.MetadataValue.path(str(page)),
        "figures": ", ".join(f.name for f in figures),
        **{f.name: dg.MetadataValue.md(f"**{f.title}**: {f.caption}\n\n{f.markdown()}")
           for f in figures},
    })
