"""Point-of-sale exports: stores, products (snapshots) and till receipt lines (daily)."""

from orchestration.defs.ingest.factory import build_ingest_asset
from orchestration.lib.contract import POS_PRODUCTS, POS_STORES, POS_TRANSACTIONS

pos_stores = build_ingest_asset(POS_STORES)
pos_products = build_ingest_asset(POS_PRODUCTS)
pos_transactions = build_ingest_asset(POS_TRANSACTIONS)
