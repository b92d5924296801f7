"""Post-purchase and service survey responses (daily)."""

from orchestration.defs.ingest.factory import build_ingest_asset
from orchestration.lib.contract import SURVEY_RESPONSES

survey_responses = build_ingest_asset(SURVEY_RESPONSES)
