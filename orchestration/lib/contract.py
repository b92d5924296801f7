"""The landing contract (``shared/contracts/landing.md``) as data.

One :class:`Dataset` per landing dataset: where its files are, whether it is daily, its
columns with type, requiredness, enumerations and ranges, and its unique key. Validation,
the raw Parquet schema and the empty ``raw.*`` views are all derived from this, so the
contract is written down once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# raw (lake) type of each contract type. Timestamps stay ISO-8601 text in raw because the
# offset (or its absence, meaning store-local time) is information staging needs.
RAW_TYPES = {
    "string": "VARCHAR",
    "int": "BIGINT",
    "decimal": "DECIMAL(18,4)",
    "bool": "BOOLEAN",
    "date": "DATE",
    "timestamp": "VARCHAR",
    "json_array": "VARCHAR",  # JSON text, e.g. an order's items
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "string"
    required: bool = False
    enum: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    pii: bool = False
    # values outside ``known`` are kept and reported, not rejected (e.g. new event types)
    known: tuple[str, ...] | None = None
    # json_array columns: keys every element must carry, and those that must be numbers
    item_required: tuple[str, ...] = ()
    item_numeric: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.type not in RAW_TYPES:
            raise ValueError(f"unknown contract type {self.type!r} for {self.name}")


@dataclass(frozen=True)
class Dataset:
    name: str
    landing_path: str  # daily: a folder of YYYY-MM-DD*.<ext>; snapshot: the file stem
    daily: bool
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    family: str = "csv"  # csv (csv, csv.gz, parquet) or json (jsonl, jsonl.gz)
    description: str = ""
    # a row must carry at least one of these (e.g. a survey answer needs some score)
    at_least_one_of: tuple[str, ...] = field(default=())
    # False where the source delivers at least once and staging deduplicates (web events)
    unique_key: bool = True

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def pii_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.pii]

    @property
    def extensions(self) -> tuple[str, ...]:
        return (".csv", ".csv.gz", ".parquet") if self.family == "csv" else (".jsonl",
                                                                             ".jsonl.gz")


PAYMENT_METHODS = ("cash", "card", "mobile", "points", "voucher", "mixed")
TIERS = ("regular", "silver", "gold", "platinum")

POS_STORES = Dataset(
    name="pos_stores",
    landing_path="pos/stores",
    daily=False,
    key=("store_id",),
    description="Store reference snapshot; each delivery replaces the previous one.",
    columns=(
        Column("store_id", required=True),
        Column("store_name"),
        Column("city"),
        Column("region"),
        Column("format", enum=("hypermarket", "supermarket", "convenience", "department",
                               "online")),
        Column("opened_on", "date"),
        Column("timezone"),
    ),
)

POS_PRODUCTS = Dataset(
    name="pos_products",
    landing_path="pos/products",
    daily=False,
    key=("product_id",),
    description="Product (SKU) reference snapshot with the merchandise hierarchy.",
    columns=(
        Column("product_id", required=True),
        Column("product_name"),
        Column("brand"),
        Column("department"),
        Column("category"),
        Column("is_private_label", "bool"),
        Column("list_price", "decimal", min=0),
    ),
)

POS_TRANSACTIONS = Dataset(
    name="pos_transactions",
    landing_path="pos/transactions",
    daily=True,
    key=("transaction_id", "line_number"),
    description="Till receipts, one row per receipt line; returns are negative lines.",
    columns=(
        Column("transaction_id", required=True),
        Column("line_number", "int", required=True, min=1),
        Column("store_id", required=True),
        Column("transaction_ts", "timestamp", required=True),
        Column("member_card_id"),
        Column("product_id", required=True),
        Column("quantity", "decimal", required=True),
        Column("unit_price", "decimal", min=0),
        Column("discount_amount", "decimal", min=0),
        Column("net_amount", "decimal", required=True),
        Column("payment_method", enum=PAYMENT_METHODS),
        Column("return_of_transaction_id"),
    ),
)

CRM_MEMBERS = Dataset(
    name="crm_members",
    landing_path="crm/members",
    daily=True,
    key=("member_id", "updated_at"),
    description="Loyalty register: changed member rows; the latest updated_at wins.",
    columns=(
        Column("member_id", required=True),
        Column("card_id"),
        Column("online_account_id"),
        Column("email", pii=True),
        Column("phone", pii=True),
        Column("full_name", pii=True),
        Column("birth_date", "date", pii=True),
        Column("gender"),
        Column("postcode"),
        Column("city"),
        Column("enrolled_at", "timestamp", required=True),
        Column("enrolment_channel", enum=("store", "web", "app")),
        Column("tier", enum=TIERS),
        Column("marketing_consent", "bool"),
        Column("status", enum=("active", "closed")),
        Column("updated_at", "timestamp", required=True),
    ),
)

CRM_POINTS = Dataset(
    name="crm_points",
    landing_path="crm/points",
    daily=True,
    key=("entry_id",),
    description="Points ledger of the loyalty engine: earn, redeem, expire, adjust.",
    columns=(
        Column("entry_id", required=True),
        Column("member_id", required=True),
        Column("entry_ts", "timestamp", required=True),
        Column("entry_type", required=True, enum=("earn", "redeem", "expire", "adjust")),
        Column("reason", enum=("purchase", "enrolment", "profile", "survey", "review",
                               "referral", "social_share", "birthday", "campaign")),
        Column("points", "int", required=True),
        Column("transaction_id"),
        Column("order_id"),
    ),
)

_RATING = {"type": "int", "min": 1, "max": 5}
SURVEY_RESPONSES = Dataset(
    name="survey_responses",
    landing_path="survey/responses",
    daily=True,
    key=("response_id",),
    description="Post-purchase and service surveys (NPS, CSAT, driver ratings, comments).",
    columns=(
        Column("response_id", required=True),
        Column("submitted_at", "timestamp", required=True),
        Column("survey_id"),
        Column("touchpoint", required=True, enum=("store_visit", "online_order", "delivery",
                                                  "customer_service", "return")),
        Column("member_card_id"),
        Column("email", pii=True),
        Column("transaction_id"),
        Column("order_id"),
        Column("store_id"),
        Column("channel", enum=("store", "web", "app", "phone")),
        Column("nps", "int", min=0, max=10),
        Column("csat", "int", min=1, max=5),
        Column("rating_product_quality", **_RATING),
        Column("rating_service", **_RATING),
        Column("rating_price_value", **_RATING),
        Column("rating_experience", **_RATING),
        Column("rating_brand_trust", **_RATING),
        Column("comment"),
        Column("language"),
    ),
    at_least_one_of=("nps", "csat", "rating_product_quality", "rating_service",
                     "rating_price_value", "rating_experience", "rating_brand_trust"),
)

ONLINE_ORDERS = Dataset(
    name="online_orders",
    landing_path="online/orders",
    daily=True,
    family="json",
    key=("order_id", "status_updated_at"),
    description="Web and app orders, one row per order version; the latest "
                "status_updated_at of an order wins.",
    columns=(
        Column("order_id", required=True),
        Column("account_id", required=True),
        Column("placed_at", "timestamp", required=True),
        Column("channel", enum=("web", "app")),
        Column("device"),
        Column("fulfilment", enum=("delivery", "click_and_collect")),
        Column("pickup_store_id"),
        Column("status", required=True, enum=("placed", "paid", "shipped", "delivered",
                                              "cancelled", "returned")),
        Column("status_updated_at", "timestamp", required=True),
        Column("items", "json_array", required=True, item_required=("product_id",),
               item_numeric=("quantity", "unit_price")),
        Column("shipping_fee", "decimal", min=0),
        Column("order_total", "decimal", required=True),
        Column("payment_method"),
        Column("coupon_code"),
    ),
)

EVENT_TYPES = ("page_view", "search", "product_view", "compare", "add_to_cart",
               "remove_from_cart", "checkout_start", "purchase", "coupon_view", "review_submit",
               "support_contact")
ONLINE_EVENTS = Dataset(
    name="online_events",
    landing_path="online/events",
    daily=True,
    family="json",
    key=("event_id",),
    unique_key=False,  # delivered at least once: duplicates are kept, staging deduplicates
    description="Web and app behaviour events (at-least-once delivery).",
    columns=(
        Column("event_id", required=True),
        Column("event_ts", "timestamp", required=True),
        Column("session_id", required=True),
        Column("anonymous_id", required=True),
        Column("account_id"),
        Column("channel", enum=("web", "app")),
        Column("event_type", required=True, known=EVENT_TYPES),
        Column("product_id"),
        Column("search_query"),
        Column("order_id"),
        Column("page"),
        Column("referrer"),
        Column("utm_source"),
        Column("utm_medium"),
        Column("utm_campaign"),
    ),
)

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (POS_STORES, POS_PRODUCTS, POS_TRANSACTIONS, CRM_MEMBERS, CRM_POINTS,
              ONLINE_ORDERS, ONLINE_EVENTS, SURVEY_RESPONSES)
}
