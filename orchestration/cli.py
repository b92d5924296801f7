"""The ``loyalty`` command: what ``make run`` does, for people who do not use make.

    loyalty generate [--members N --days N --start YYYY-MM-DD --seed N --format F --faults]
    loyalty run      [--no-generate]
    loyalty summary

Locations come from the environment (LOYALTY_DATA_DIR and friends, see README).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from orchestration.generator import GeneratorConfig, generate
from orchestration.generator.config import CSV_FORMATS, JSON_FORMATS
from orchestration.lib.settings import Settings


def _landing_is_empty(landing: Path) -> bool:
    return not landing.exists() or not any(p.is_file() for p in landing.rglob("*"))


def _generate(args: argparse.Namespace, settings: Settings) -> int:
    landing = Path(args.landing).resolve() if args.landing else settings.landing_dir
    if not _landing_is_empty(landing) and not args.force:
        print(f"{landing} already holds files; use --force to add demo data anyway, or point "
              "--landing / LOYALTY_LANDING_DIR at an empty folder", file=sys.stderr)
        return 2
    cfg = GeneratorConfig(
        members=args.members, days=args.days, start=args.start, seed=args.seed,
        csv_format=args.format, json_format=args.json_format, faults=args.faults,
        progress=sys.stderr.isatty(), shard_members=args.shard_members,
    )
    result = generate(cfg, landing)
    print(f"wrote {result.files:,} files to {landing} in {result.seconds:.1f}s "
          f"({result.pos_lines / result.seconds:,.0f} POS lines/s)")
    for name, n in sorted(result.rows.items()):
        print(f"  {name:<20} {n:>12,} rows")
    if result.faults:
        print(f"  {len(result.faults)} faults injected (listed in {landing / '_generator.json'})")
    return 0


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from orchestration.runner import format_report, run_all

    if _landing_is_empty(settings.landing_dir):
        if args.no_generate:
            print(f"{settings.landing_dir} is empty and --no-generate was given", file=sys.stderr)
            return 2
        cfg = GeneratorConfig(progress=sys.stderr.isatty())
        print(f"landing folder {settings.landing_dir} is empty: generating demo data "
              f"({cfg.members:,} members, {cfg.days} days from {cfg.start})")
        result = generate(cfg, settings.landing_dir)
        print(f"  {result.files:,} files, {result.pos_lines:,} POS lines "
              f"in {result.seconds:.1f}s")
    if settings.uses_demo_pii_key:
        print("! LOYALTY_PII_KEY is not set: personal data is hashed with the public demo key")
    report = run_all(settings)
    print(format_report(report, settings))
    return 0


def _summary(args: argparse.Namespace, settings: Settings) -> int:
    from orchestration.lib.warehouse import connect, table_counts

    if not settings.warehouse_path.exists():
        print(f"no warehouse at {settings.warehouse_path}: run `loyalty run` first")
        return 1
    with connect(settings.warehouse_path, read_only=True) as con:
        for name, n in table_counts(con, ("staging", "marts", "scores", "outputs")).items():
            print(f"{name:<40} {n:>12,}")
    return 0


def _dictionary(args: argparse.Namespace, settings: Settings) -> int:
    """Table meanings from the asset definitions, column meanings from the file."""
    from orchestration.definitions import defs
    from orchestration.lib.dictionary import dictionary_markdown

    serving_file = settings.serving_dir / "loyalty.duckdb"
    if not serving_file.exists():
        print(f"{serving_file} does not exist yet: run `loyalty run` first", file=sys.stderr)
        return 1
    graph = defs().resolve_asset_graph()
    descriptions = {".".join(key.path[-2:]): graph.get(key).description or ""
                    for key in graph.get_all_asset_keys() if len(key.path) >= 2}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(dictionary_markdown(serving_file, descriptions))
    print(f"wrote {args.out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="loyalty", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write demo landing files (every contract dataset)")
    defaults = GeneratorConfig()
    gen.add_argument("--members", type=int, default=defaults.members)
    gen.add_argument("--days", type=int, default=defaults.days)
    gen.add_argument("--start", type=dt.date.fromisoformat, default=defaults.start,
                     help="first business day, YYYY-MM-DD")
    gen.add_argument("--seed", type=int, default=defaults.seed)
    gen.add_argument("--format", choices=CSV_FORMATS, default=defaults.csv_format,
                     help="file format of the CSV datasets ('mixed' rotates by day)")
    gen.add_argument("--json-format", choices=JSON_FORMATS, default=defaults.json_format)
    gen.add_argument("--faults", action="store_true",
                     help="inject bad rows and bad files of the kinds the contract forbids")
    gen.add_argument("--shard-members", type=int, default=defaults.shard_members,
                     help="members simulated at a time (memory grows with this, not with "
                          "--members); each further shard writes <day>_partN files")
    gen.add_argument("--landing", help="target folder (default: LOYALTY_LANDING_DIR)")
    gen.add_argument("--force", action="store_true", help="write into a non-empty folder")
    gen.set_defaults(func=_generate)

    run = sub.add_parser("run", help="materialise every asset for every landing day")
    run.add_argument("--no-generate", action="store_true",
                     help="fail instead of generating demo data into an empty landing folder")
    run.set_defaults(func=_run)

    summary = sub.add_parser("summary", help="row counts of the warehouse tables")
    summary.set_defaults(func=_summary)

    dictionary = sub.add_parser("dictionary",
                                help="write the serving file's data dictionary as Markdown")
    dictionary.add_argument("--out", default="docs/data_dictionary.md")
    dictionary.set_defaults(func=_dictionary)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env()
    settings.export_for_dbt()
    return args.func(args, settings)


if __name__ == "__main__":
    sys.exit(main())
