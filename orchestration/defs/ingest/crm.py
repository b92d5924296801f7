"""Loyalty-register exports: members (changed rows) and the points ledger (daily)."""

from orchestration.defs.ingest.factory import build_ingest_asset
from orchestration.lib.contract import CRM_MEMBERS, CRM_POINTS

crm_members = build_ingest_asset(CRM_MEMBERS)
crm_points = build_ingest_asset(CRM_POINTS)
