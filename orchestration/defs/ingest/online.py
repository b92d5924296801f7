"""Online exports: web/app orders (one row per order version) and behaviour events (daily)."""

from orchestration.defs.ingest.factory import build_ingest_asset
from orchestration.lib.contract import ONLINE_EVENTS, ONLINE_ORDERS

online_orders = build_ingest_asset(ONLINE_ORDERS)
online_events = build_ingest_asset(ONLINE_EVENTS)
