"""A vectorised simulation of a retailer with a membership programme.

The behaviour is modelled, not sampled row by row, so that the marts and scores downstream
have something real to find:

- each member has a purchase rate (gamma-distributed across members) and, after every
  purchase, a chance of lapsing for good (beta-distributed): the BG/NBD story, so churn is
  learnable from recency and frequency;
- a latent satisfaction per member, plus bad experiences (returns, late deliveries), lowers
  survey scores *and* raises the chance of lapsing, so detractors churn more;
- members shop in store only, online only or both; till sales without a card exist;
- online orders change status over later days; returns refund earlier receipts;
- web/app sessions run search → view → cart → checkout funnels with drop-offs, logins link
  device cookies to accounts, and some events are delivered twice;
- the points ledger follows purchases, tier multipliers and behaviour points, with
  redemptions and expiry after 180 days without activity.

Everything is a function of the config's seed. Time is measured in days since the first
business day (float), in the stores' local time (UTC+8) unless a name says ``utc``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import reference as ref
from .config import GeneratorConfig

LOCAL_UTC_OFFSET_HOURS = 8  # Asia/Shanghai has no daylight saving time
# The loyalty engine's tier rules: rolling 12-month spend → tier and points multiplier.
TIER_RULES = [("regular", 0.0, 1.0), ("silver", 2000.0, 1.25), ("gold", 6000.0, 1.5),
              ("platinum", 15000.0, 2.0)]
EXPIRY_AFTER_INACTIVE_DAYS = 180
PAYMENT_METHODS = np.array(["mobile", "card", "cash", "points", "voucher", "mixed"])


@dataclass
class World:
    """The generated datasets. Daily datasets carry a ``business_date`` column (a date)."""

    stores: pd.DataFrame
    products: pd.DataFrame
    transactions: pa.Table  # millions of rows: kept in Arrow end to end
    members: pd.DataFrame
    points: pd.DataFrame
    orders: pd.DataFrame  # one row per order version; ``items`` is built by the writer
    order_items: pd.DataFrame
    events: pd.DataFrame
    surveys: pd.DataFrame


def _iso_local(base: np.datetime64, days: np.ndarray) -> pd.Series:
    """Timestamps without offset (store-local wall time), second precision."""
    ts = base + (np.asarray(days) * 86400).astype("int64").astype("timedelta64[s]")
    return pd.Series(np.datetime_as_string(ts, unit="s"))


def _iso_utc(base: np.datetime64, local_days: np.ndarray) -> pd.Series:
    shifted = np.asarray(local_days) - LOCAL_UTC_OFFSET_HOURS / 24
    return _iso_local(base, shifted) + "Z"


def _business_date(start: dt.date, days: np.ndarray) -> np.ndarray:
    return np.datetime64(start, "D") + np.floor(days).astype("int64").astype("timedelta64[D]")


def _ids(prefix: str, n: int, width: int, offset: int = 0) -> np.ndarray:
    if n == 0:
        return np.array([], dtype=f"<U{len(prefix) + width}")
    numbers = np.arange(offset + 1, offset + n + 1).astype(str)
    return np.char.add(prefix, np.char.zfill(numbers, width))


def _arrow_ids(prefix: str, n: int, width: int, offset: int = 0) -> pa.Array:
    """``prefix`` + zero-padded offset+1..offset+n, built by Arrow (for millions of ids)."""
    numbers = pa.array(np.arange(offset + 1, offset + n + 1)).cast(pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(numbers, width, "0"), "")


_TIMES_OF_DAY = None


def _iso_arrow(start: dt.date, days: np.ndarray) -> pa.Array:
    """Store-local ISO timestamps (no offset) as Arrow text, from days since ``start``.

    Built from two small dictionaries (the dates, the 86,400 times of day) with ``take``:
    several times faster than formatting each timestamp.
    """
    global _TIMES_OF_DAY
    if _TIMES_OF_DAY is None:
        sod = np.arange(86400)
        _TIMES_OF_DAY = pa.array(np.datetime_as_string(
            np.datetime64("2000-01-01T00:00:00") + sod.astype("timedelta64[s]"))).cast(
            pa.string())
        _TIMES_OF_DAY = pc.utf8_slice_codeunits(_TIMES_OF_DAY, 11)
    seconds = np.floor(np.asarray(days) * 86400).astype("int64")
    day, sod = np.divmod(seconds, 86400)
    if day.size == 0:
        return pa.array([], pa.string())
    first = int(day.min())
    dates = np.datetime64(start, "D") + np.arange(first, int(day.max()) + 1)
    date_text = pa.array(np.datetime_as_string(dates, unit="D")).cast(pa.string())
    return pc.binary_join_element_wise(date_text.take(day - first), _TIMES_OF_DAY.take(sod), "T")


class _Simulation:
    """One shard of members (``cfg.members`` of them, numbered from ``member_offset``).

    Shard 0 is the whole simulation when the members fit in one shard. Every other shard
    shares shard 0's stores and products (the same draws) and then continues from its own
    seed; its ids are offset so that no id of one shard repeats in another.
    """

    def __init__(self, cfg: GeneratorConfig, shard: int = 0, member_offset: int = 0) -> None:
        self.cfg = cfg
        self.rng = np.random.default_rng(cfg.seed)
        self.D = float(cfg.days)
        self.base = np.datetime64(cfg.start, "s")
        self.shard, self.member_offset = shard, member_offset

    def start_shard(self) -> None:
        """After the reference data: members of shard > 0 draw from their own stream."""
        if self.shard:
            self.rng = np.random.default_rng([self.cfg.seed, self.shard])

    def _shard_ids(self, prefix: str, n: int, width: int, per_shard: int) -> np.ndarray:
        """Ids of things counted within a shard (receipts, orders, events, ...): shard s
        numbers them from s × ``per_shard`` (more than any shard makes)."""
        return _ids(prefix, n, width, offset=self.shard * per_shard)

    # ----------------------------------------------------------------- reference data
    def stores(self) -> pd.DataFrame:
        rng, n = self.rng, self.cfg.store_count
        city_idx = rng.integers(0, len(ref.CITIES), n)
        fmt = rng.choice(ref.STORE_FORMATS, n, p=ref.STORE_FORMAT_WEIGHTS)
        opened = np.datetime64("2012-01-01") + rng.integers(0, 4000, n).astype("timedelta64[D]")
        ids = _ids("S", n, 3)
        df = pd.DataFrame({
            "store_id": ids,
            "store_name": [f"{ref.CITIES[c][0]} {f.title()} {i[1:]}" for c, f, i in
                           zip(city_idx, fmt, ids, strict=True)],
            "city": [ref.CITIES[c][0] for c in city_idx],
            "region": [ref.CITIES[c][1] for c in city_idx],
            "format": fmt,
            "opened_on": np.datetime_as_string(opened),
            "timezone": "Asia/Shanghai",
        })
        online = pd.DataFrame([{
            "store_id": "WEB", "store_name": "Online shop", "city": None, "region": None,
            "format": "online", "opened_on": "2018-06-01", "timezone": "UTC",
        }])
        self.store_city = city_idx
        # bigger formats draw more customers
        size = {"hypermarket": 3.0, "supermarket": 1.6, "convenience": 0.6, "department": 1.2}
        w = np.array([size[f] for f in fmt]) * rng.uniform(0.6, 1.4, n)
        self.store_weights = w / w.sum()
        return pd.concat([df, online], ignore_index=True)

    def products(self) -> pd.DataFrame:
        rng, n = self.rng, self.cfg.products
        depts = list(ref.MERCHANDISE)
        dept_w = np.array([0.3, 0.25, 0.15, 0.1, 0.1, 0.04, 0.06])
        dept_idx = rng.choice(len(depts), n, p=dept_w)
        cats, prices, brands = [], [], []
        private = rng.random(n) < 0.2
        for i, d in enumerate(dept_idx):
            categories, median = ref.MERCHANDISE[depts[d]]
            cats.append(categories[rng.integers(0, len(categories))])
            prices.append(median)
            brands.append(ref.PRIVATE_LABEL if private[i] else
                          ref.BRANDS[rng.integers(0, len(ref.BRANDS))])
        premium = rng.random(n) < 0.2
        price = np.array(prices) * rng.lognormal(0, 0.45, n) * np.where(private, 0.75, 1.0)
        price = np.round(price * np.where(premium, 1.8, 1.0), 1) + 0.9
        self.list_price = np.round(price, 2)
        self.premium = premium
        # long-tailed demand: a few best sellers, many slow movers
        pop = 1.0 / rng.permutation(np.arange(1, n + 1)) ** 0.9
        self.popularity = pop / pop.sum()
        prem_pop = np.where(premium, pop, 0.0)
        self.premium_popularity = prem_pop / prem_pop.sum() if prem_pop.sum() else self.popularity
        self.product_ids = _ids("P", n, 6)
        return pd.DataFrame({
            "product_id": self.product_ids,
            "product_name": [f"{b} {c} {i[1:]}" for b, c, i in
                             zip(brands, cats, self.product_ids, strict=True)],
            "brand": brands,
            "department": [depts[d] for d in dept_idx],
            "category": cats,
            "is_private_label": private,
            "list_price": self.list_price,
        })

    # ----------------------------------------------------------------- members
    def member_traits(self) -> None:
        rng, n, D = self.rng, self.cfg.members, self.D
        before = rng.random(n) < 0.7
        self.enrol_day = np.where(before, -rng.uniform(1, 1095, n), rng.uniform(0, D, n))
        self.rate = rng.gamma(1.3, 0.12 / 1.3, n)  # purchases per day
        self.p_lapse = rng.beta(1.0, 20.0, n)
        self.satisfaction = rng.normal(0, 1, n)
        kind = rng.choice(3, n, p=[0.35, 0.15, 0.50])  # store only, online only, both
        self.kind = kind
        self.online_share = np.select([kind == 0, kind == 1], [0.0, 1.0], rng.beta(2, 3, n))
        self.app_share = rng.beta(2, 2, n)
        self.basket = 1 + rng.gamma(2.0, 1.3, n)
        self.price_sensitive = rng.random(n) < 0.3
        self.quality_seeker = ~self.price_sensitive & (rng.random(n) < 0.25)
        self.home_store = rng.choice(self.cfg.store_count, n, p=self.store_weights)
        # some registered members had already lapsed before the window opened
        self.alive = np.where(before, rng.random(n) < 0.8, True)
        self.has_account = (kind > 0) | (rng.random(n) < 0.2)
        self.devices = rng.integers(1, 3, n)

    def member_register(self) -> pd.DataFrame:
        rng, n = self.rng, self.cfg.members
        mo = self.member_offset
        member_ids = _ids("M", n, 7, offset=mo)
        self.member_ids = member_ids
        card_offset = int(rng.integers(10**6, 10**7))  # shard 0's cards end below 10**7 + n
        self.card_ids = _ids("C", n, 10, offset=10**7 + mo if self.shard else card_offset)
        self.account_ids = np.where(self.has_account, _ids("A", n, 8, offset=mo), None)
        english = rng.random(n) < 0.2
        sur = rng.choice(ref.SURNAMES_ZH, n)
        given = np.char.add(rng.choice(ref.GIVEN_ZH, n),
                            np.where(rng.random(n) < 0.6, rng.choice(ref.GIVEN_ZH, n), ""))
        zh_name = np.char.add(sur, given)
        en_name = np.char.add(np.char.add(rng.choice(ref.FIRST_EN, n), " "),
                              rng.choice(ref.LAST_EN, n))
        full_name = np.where(english, en_name, zh_name)
        handle = np.char.add("member", np.arange(mo + 1, mo + n + 1).astype(str))
        email = np.char.add(np.char.add(handle, "@"), rng.choice(ref.EMAIL_DOMAINS, n))
        self.email = np.where(rng.random(n) < 0.85, email, None)
        phone = np.char.add("1", np.char.zfill(rng.integers(3 * 10**9, 9 * 10**9, n).astype(str),
                                               10))
        age = np.clip(rng.normal(40, 13, n), 18, 85)
        birth = np.datetime64(self.cfg.start, "D") - (age * 365.25).astype("int64").astype(
            "timedelta64[D]")
        self.birth = birth
        has_birth = rng.random(n) < 0.75
        city_idx = self.store_city[self.home_store]
        postcode = np.char.add(np.array([ref.CITIES[c][2] for c in city_idx]),
                               np.char.zfill(rng.integers(0, 999, n).astype(str), 3))
        channel = np.select([self.kind == 1, self.kind == 2],
                            [rng.choice(["web", "app"], n), rng.choice(["store", "app"], n)],
                            "store")
        self.consent = rng.random(n) < 0.72
        return pd.DataFrame({
            "member_id": member_ids,
            "card_id": self.card_ids,
            "online_account_id": self.account_ids,
            "email": self.email,
            "phone": np.where(rng.random(n) < 0.95, phone, None),
            "full_name": full_name,
            "birth_date": np.where(has_birth, np.datetime_as_string(birth), None),
            "gender": rng.choice(["F", "M", None], n, p=[0.52, 0.43, 0.05]),
            "postcode": postcode,
            "city": [ref.CITIES[c][0] for c in city_idx],
            "enrolled_day": self.enrol_day,
            "enrolment_channel": channel,
            "marketing_consent": self.consent,
        })

    # ----------------------------------------------------------------- purchases
    def purchases(self) -> pd.DataFrame:
        """Purchase occasions of members, round by round (one purchase per member a round)."""
        rng, D = self.rng, self.D
        t = np.maximum(self.enrol_day, 0.0) + rng.exponential(1.0 / self.rate)
        in_window_enrol = self.enrol_day >= 0
        # most members who enrol at a till enrol while paying
        at_enrol = in_window_enrol & (rng.random(t.size) < 0.6) & (self.kind != 1)
        t = np.where(at_enrol, self.enrol_day + 0.001, t)
        alive = self.alive.copy()
        parts = []
        while True:
            idx = np.flatnonzero(alive & (t < D))
            if idx.size == 0:
                break
            k = idx.size
            online = rng.random(k) < self.online_share[idx]
            returned = rng.random(k) < np.where(online, 0.07, 0.035)
            late = online & (rng.random(k) < 0.10)
            bad = returned | late
            survey = rng.random(k) < np.where(online, 0.15, 0.08)
            parts.append((idx, t[idx].copy(), online, returned, late, survey))
            hazard = self.p_lapse[idx] * np.exp(-0.6 * self.satisfaction[idx]) * np.where(
                bad, 2.5, 1.0)
            lapse = rng.random(k) < np.clip(hazard, 0, 0.95)
            alive[idx[lapse]] = False
            t[idx] += rng.exponential(1.0 / self.rate[idx])
        cols = ["member", "t", "online", "returned", "late", "survey"]
        if not parts:
            empty = [np.array([], int), np.array([], float)] + [np.array([], bool)] * 4
            return pd.DataFrame(dict(zip(cols, empty, strict=True)))
        arrays = [np.concatenate([p[i] for p in parts]) for i in range(len(cols))]
        df = pd.DataFrame(dict(zip(cols, arrays, strict=True)))
        return df.sort_values("t", kind="stable").reset_index(drop=True)

    def _time_of_day(self, n: int) -> np.ndarray:
        hours = self.rng.choice(np.arange(8, 22), n, p=_HOUR_WEIGHTS)
        return (hours + self.rng.random(n)) / 24.0

    def _lines(self, n_lines: np.ndarray, sensitive: np.ndarray, quality: np.ndarray) -> dict:
        """Basket lines for receipts/orders: one row per line, with the receipt's position."""
        rng = self.rng
        owner = np.repeat(np.arange(n_lines.size), n_lines)
        total = owner.size
        product = rng.choice(self.product_ids.size, total, p=self.popularity)
        prem = quality[owner] & (rng.random(total) < 0.5)
        if prem.any():
            product[prem] = rng.choice(self.product_ids.size, int(prem.sum()),
                                       p=self.premium_popularity)
        qty = rng.choice([1, 2, 3, 4], total, p=[0.78, 0.15, 0.05, 0.02]).astype(float)
        price = self.list_price[product]
        rate = np.where(sensitive[owner],
                        rng.choice([0.0, 0.1, 0.2], total, p=[0.5, 0.3, 0.2]),
                        rng.choice([0.0, 0.1, 0.2], total, p=[0.85, 0.1, 0.05]))
        gross = np.round(price * qty, 2)
        discount = np.round(gross * rate, 2)
        starts = np.concatenate([[0], np.cumsum(n_lines)[:-1]])
        line_number = np.arange(total) - starts[owner] + 1
        return {"owner": owner, "line_number": line_number, "product": product,
                "quantity": qty, "unit_price": price, "discount": discount,
                "net": np.round(gross - discount, 2)}

    def till(self, purchases: pd.DataFrame) -> pd.DataFrame:
        """Till receipt lines, numeric only (ids become text in :meth:`transactions_table`).

        ``receipt`` indexes ``self.receipt_ids``: purchase receipts first, then refunds.
        """
        rng, D = self.rng, self.D
        store_p = purchases[~purchases["online"]]
        m = store_p["member"].to_numpy()
        k = m.size
        # anonymous sales: about 30% of till receipts carry no card
        n_anon = int(k * 0.43) + int(rng.poisson(5 * self.cfg.store_count))
        day = np.concatenate([np.floor(store_p["t"].to_numpy()),
                              rng.integers(0, int(D), n_anon).astype(float)])
        t = day + self._time_of_day(k + n_anon)
        member = np.concatenate([m, np.full(n_anon, -1)])
        mi = np.maximum(member, 0)
        is_member = member >= 0
        store = np.where(is_member & (rng.random(k + n_anon) < 0.85), self.home_store[mi],
                         rng.choice(self.cfg.store_count, k + n_anon, p=self.store_weights))
        card = is_member & (rng.random(k + n_anon) < 0.92)
        basket = np.where(is_member, self.basket[mi], 2.5)
        n_lines = 1 + rng.poisson(basket - 1)
        returned = np.concatenate([store_p["returned"].to_numpy(), np.zeros(n_anon, bool)])
        survey = np.concatenate([store_p["survey"].to_numpy(), np.zeros(n_anon, bool)])
        order = np.argsort(t, kind="stable")
        t, member, store, card, n_lines, returned, survey = (
            a[order] for a in (t, member, store, card, n_lines, returned, survey))
        mi = np.maximum(member, 0)
        lines = self._lines(n_lines, np.where(member >= 0, self.price_sensitive[mi], False),
                            np.where(member >= 0, self.quality_seeker[mi], False))
        payment = rng.choice(len(PAYMENT_METHODS), t.size,
                             p=[0.48, 0.3, 0.15, 0.03, 0.02, 0.02])
        o = lines["owner"]
        sales = pd.DataFrame({
            "receipt": o,
            "line_number": lines["line_number"],
            "store_idx": store[o],
            "t": t[o],
            "member": np.where(card[o], member[o], -1),
            "buyer": member[o],
            "product": lines["product"],
            "quantity": lines["quantity"],
            "unit_price": lines["unit_price"],
            "discount_amount": lines["discount"],
            "net_amount": lines["net"],
            "payment": payment[o],
            "refund_of": np.full(o.size, -1),
        }, copy=False)  # no consolidation copy of millions of rows
        first_line = np.concatenate([[0], np.cumsum(n_lines)[:-1]])
        returns = self._till_returns(sales, t, returned, n_lines, first_line)
        offset = self.shard * 10**9
        self.receipt_ids = pa.concat_arrays([_arrow_ids("T", t.size, 10, offset),
                                             _arrow_ids("R", len(returns), 10, offset)])
        # receipt-level facts used later by surveys, events and the ledger
        self.receipts = pd.DataFrame({
            "t": t, "member": member,
            "card": card, "store_idx": store, "returned": returned, "survey": survey,
        })
        return pd.concat([sales, returns], ignore_index=True)

    def _till_returns(self, sales: pd.DataFrame, t: np.ndarray, returned: np.ndarray,
                      n_lines: np.ndarray, first_line: np.ndarray) -> pd.DataFrame:
        """One refund receipt per returned purchase, refunding one of its lines."""
        rng = self.rng
        idx = np.flatnonzero(returned)
        pick = first_line[idx] + (rng.random(idx.size) * n_lines[idx]).astype(int)
        ret_t = t[idx] + rng.uniform(1, 14, idx.size)
        keep = ret_t < self.D
        orig = sales.iloc[pick[keep]]
        ret_t = np.floor(ret_t[keep]) + self._time_of_day(int(keep.sum()))
        receipt = t.size + np.arange(ret_t.size)
        self.return_receipts = pd.DataFrame({
            "receipt": receipt, "t": ret_t, "member": orig["member"].to_numpy(),
            "refund": orig["net_amount"].to_numpy(),
        })
        return pd.DataFrame({
            "receipt": receipt,
            "line_number": np.ones(ret_t.size, dtype=int),
            "store_idx": orig["store_idx"].to_numpy(),
            "t": ret_t,
            "member": orig["member"].to_numpy(),
            "buyer": orig["buyer"].to_numpy(),
            "product": orig["product"].to_numpy(),
            "quantity": -orig["quantity"].to_numpy(),
            "unit_price": orig["unit_price"].to_numpy(),
            "discount_amount": np.zeros(ret_t.size),
            "net_amount": -orig["net_amount"].to_numpy(),
            "payment": orig["payment"].to_numpy(),
            "refund_of": orig["receipt"].to_numpy(),
        }, copy=False)

    def _receipt_id(self, receipts: np.ndarray) -> np.ndarray:
        return self.receipt_ids.take(receipts).to_numpy(zero_copy_only=False)

    def transactions_table(self, sales: pd.DataFrame) -> pa.Table:
        """The pos/transactions dataset as Arrow, in time order.

        Text columns are built by Arrow ``take`` on small dictionaries (stores, products,
        cards, receipt ids) and timestamps by Arrow's strftime: converting millions of
        Python or NumPy strings would cost more than the whole simulation.
        """
        order = np.lexsort((sales["line_number"].to_numpy(), sales["receipt"].to_numpy(),
                            sales["t"].to_numpy()))
        col = {c: sales[c].to_numpy()[order] for c in sales.columns}
        receipt_ids = self.receipt_ids
        member, refund_of = col["member"], col["refund_of"]
        return pa.table({
            "transaction_id": receipt_ids.take(col["receipt"]),
            "line_number": col["line_number"],
            "store_id": pa.array(self.store_ids).take(col["store_idx"]),
            "transaction_ts": _iso_arrow(self.cfg.start, col["t"]),
            "member_card_id": pa.array(self.card_ids).take(
                pa.array(np.maximum(member, 0), mask=member < 0)),
            "product_id": pa.array(self.product_ids).take(col["product"]),
            "quantity": col["quantity"],
            "unit_price": col["unit_price"],
            "discount_amount": col["discount_amount"],
            "net_amount": col["net_amount"],
            "payment_method": pa.array(PAYMENT_METHODS).take(col["payment"]),
            "return_of_transaction_id": receipt_ids.take(
                pa.array(np.maximum(refund_of, 0), mask=refund_of < 0)),
            "business_date": pa.array(_business_date(self.cfg.start, col["t"])),
        })

    # ----------------------------------------------------------------- online orders
    def orders(self, purchases: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        rng, D = self.rng, self.D
        on = purchases[purchases["online"]].reset_index(drop=True)
        m = on["member"].to_numpy()
        k = m.size
        placed = np.floor(on["t"].to_numpy()) + self._time_of_day(k)
        n_lines = 1 + rng.poisson(self.basket[m] - 1)
        lines = self._lines(n_lines, self.price_sensitive[m], self.quality_seeker[m])
        order_ids = self._shard_ids("O", k, 9, 10**8)
        subtotal = np.bincount(lines["owner"], weights=lines["net"], minlength=k)
        cnc = rng.random(k) < 0.2
        shipping = np.where(~cnc & (subtotal < 99), 10.0, 0.0)
        cancelled = rng.random(k) < 0.03
        late = on["late"].to_numpy()
        returned = on["returned"].to_numpy() & ~cancelled
        paid = placed + rng.uniform(0.5, 10, k) / 1440
        cancel_t = np.where(cancelled, paid + rng.uniform(0.05, 0.8, k), np.nan)
        shipped = np.where(cancelled, np.nan, paid + rng.uniform(0.3, 1.5, k))
        delivered = shipped + np.where(late, rng.uniform(4, 8, k), rng.uniform(0.8, 3, k))
        returned_t = np.where(returned, delivered + rng.uniform(2, 10, k), np.nan)
        times = np.column_stack([placed, paid, shipped, delivered, returned_t, cancel_t])
        statuses = np.array(["placed", "paid", "shipped", "delivered", "returned", "cancelled"])
        oi, si = np.nonzero(~np.isnan(times) & (times < D))
        app = rng.random(k) < self.app_share[m]
        device = np.where(app, rng.choice(["ios", "android"], k),
                          rng.choice(["desktop", "mobile"], k, p=[0.45, 0.55]))
        versions = pd.DataFrame({
            "order_id": order_ids[oi],
            "account_id": self.account_ids[m][oi],
            "placed_at": _iso_utc(self.base, placed[oi]),
            "channel": np.where(app, "app", "web")[oi],
            "device": device[oi],
            "fulfilment": np.where(cnc, "click_and_collect", "delivery")[oi],
            "pickup_store_id": np.where(cnc, self.store_ids[self.home_store[m]], None)[oi],
            "status": statuses[si],
            "status_updated_at": _iso_utc(self.base, times[oi, si]),
            "shipping_fee": shipping[oi],
            "order_total": np.round(subtotal + shipping, 2)[oi],
            "payment_method": rng.choice(["mobile", "card", "points"], k, p=[0.7, 0.27, 0.03])[oi],
            "coupon_code": np.where(rng.random(k) < 0.12,
                                    rng.choice(ref.COUPON_CODES, k), None)[oi],
            "business_date": _business_date(self.cfg.start,
                                            times[oi, si] - LOCAL_UTC_OFFSET_HOURS / 24),
        })
        items = pd.DataFrame({
            "order_id": order_ids[lines["owner"]],
            "product_id": self.product_ids[lines["product"]],
            "quantity": lines["quantity"],
            "unit_price": lines["unit_price"],
            "discount_amount": lines["discount"],
        })
        self.online = pd.DataFrame({
            "order_id": order_ids, "member": m, "placed": placed, "paid": paid,
            "delivered": np.where(cancelled, np.nan, delivered), "returned_t": returned_t,
            "cancelled": cancelled, "late": late, "returned": returned, "subtotal": subtotal,
            "survey": on["survey"].to_numpy(), "app": app,
        })
        return versions, items

    # ----------------------------------------------------------------- web & app events
    def events(self) -> pd.DataFrame:
        rng, D, n = self.rng, self.D, self.cfg.members
        o = self.online
        # 1) sessions that end in an order
        s_member = [o["member"].to_numpy()]
        s_start = [o["placed"].to_numpy() - rng.uniform(3, 40, len(o)) / 1440]
        s_tmpl = [rng.integers(_T_PURCHASE_FIRST, _T_PURCHASE_LAST + 1, len(o))]
        s_order = [o["order_id"].to_numpy()]
        s_login = [rng.random(len(o)) < 0.75]
        # 2) browsing sessions of members with an account, while they are still around
        last_seen = np.full(n, np.nan)
        np.fmax.at(last_seen, o["member"].to_numpy(), o["placed"].to_numpy())
        np.fmax.at(last_seen, self.receipts["member"].to_numpy()[self.receipts["member"] >= 0],
                   self.receipts["t"].to_numpy()[self.receipts["member"] >= 0])
        active_from = np.maximum(self.enrol_day, 0)
        active_to = np.minimum(np.nan_to_num(last_seen, nan=0) + 30, D)
        span = np.clip(active_to - active_from, 0, None) * self.has_account
        n_browse = rng.poisson(span * (self.rate * (0.3 + 2 * self.online_share) + 0.01))
        bm = np.repeat(np.arange(n), n_browse)
        s_member.append(bm)
        s_start.append(active_from[bm] + rng.random(bm.size) * (active_to[bm] - active_from[bm]))
        s_tmpl.append(rng.choice(_BROWSE_TEMPLATES, bm.size, p=_BROWSE_WEIGHTS))
        s_order.append(np.full(bm.size, None))
        s_login.append(rng.random(bm.size) < 0.5)
        # 3) research online, buy in store: a look at the product before a till purchase
        r = self.receipts
        robis = (r["member"].to_numpy() >= 0)
        robis &= np.where(robis, self.kind[np.maximum(r["member"].to_numpy(), 0)] == 2, False)
        robis &= rng.random(len(r)) < 0.25
        rm = r["member"].to_numpy()[robis]
        s_member.append(rm)
        s_start.append(r["t"].to_numpy()[robis] - rng.uniform(0.05, 3, rm.size))
        s_tmpl.append(np.full(rm.size, _T_RESEARCH))
        s_order.append(np.full(rm.size, None))
        s_login.append(np.ones(rm.size, bool))
        # 4) after delivery: reviews; after trouble: support contacts
        delivered = o["delivered"].to_numpy()
        review = ~np.isnan(delivered) & (rng.random(len(o)) < 0.2)
        support = (o["late"].to_numpy() | o["returned"].to_numpy()) & (rng.random(len(o)) < 0.5)
        for mask, tmpl in ((review, _T_REVIEW), (support, _T_SUPPORT)):
            s_member.append(o["member"].to_numpy()[mask])
            s_start.append(np.nan_to_num(delivered[mask], nan=0) + rng.uniform(0.5, 6, mask.sum()))
            s_tmpl.append(np.full(mask.sum(), tmpl))
            s_order.append(o["order_id"].to_numpy()[mask])
            s_login.append(np.ones(mask.sum(), bool))
        member = np.concatenate(s_member)
        n_member_sessions = member.size
        # 5) visitors who are not members
        n_anon = int(n_member_sessions * 0.4)
        member = np.concatenate([member, np.full(n_anon, -1)])
        start = np.concatenate(s_start + [rng.uniform(0, D, n_anon)])
        tmpl = np.concatenate(s_tmpl + [rng.choice(_BROWSE_TEMPLATES, n_anon, p=_BROWSE_WEIGHTS)])
        order_id = np.concatenate(s_order + [np.full(n_anon, None)])
        login = np.concatenate(s_login + [np.zeros(n_anon, bool)])
        keep = (start >= 0) & (start < D)
        member, start, tmpl, order_id, login = (a[keep] for a in
                                                (member, start, tmpl, order_id, login))
        ns = member.size
        session_ids = self._shard_ids("sess-", ns, 9, 10**8)
        mi = np.maximum(member, 0)
        device_no = rng.integers(0, 2, ns) % self.devices[mi]
        anon_id = np.where(member >= 0,
                           np.char.add(np.char.add("dev-", self.member_ids[mi]),
                                       np.char.add("-", device_no.astype(str))),
                           np.char.add("dev-v", rng.integers(10**8, 10**9, ns).astype(str)))
        app = np.where(member >= 0, rng.random(ns) < self.app_share[mi], rng.random(ns) < 0.4)
        # expand sessions into events through the templates
        length = _TEMPLATE_LEN[tmpl]
        sess = np.repeat(np.arange(ns), length)
        pos = np.arange(sess.size) - np.repeat(np.cumsum(length) - length, length)
        etype = _TEMPLATE_FLAT[_TEMPLATE_OFFSET[tmpl][sess] + pos]
        gap = rng.exponential(45, sess.size) / 86400
        gap[pos == 0] = 0
        csum = np.cumsum(gap)
        t = start[sess] + csum - np.repeat(csum[np.cumsum(length) - length], length)
        logged = login[sess] | np.isin(etype, ["checkout_start", "purchase"])
        logged &= member[sess] >= 0
        account = np.where(logged, self.account_ids[mi][sess], None)
        has_product = np.isin(etype, ["product_view", "add_to_cart", "remove_from_cart",
                                      "compare", "review_submit"])
        product = np.where(has_product, self.product_ids[
            rng.choice(self.product_ids.size, sess.size, p=self.popularity)], None)
        first = pos == 0
        campaign = first & (rng.random(sess.size) < 0.3)
        utm_i = rng.integers(0, len(ref.UTM), sess.size)
        utm = np.array(ref.UTM, dtype=object)
        events = pd.DataFrame({
            "event_id": self._shard_ids("ev-", sess.size, 11, 10**10),
            "event_ts": _iso_utc(self.base, t),
            "session_id": session_ids[sess],
            "anonymous_id": anon_id[sess],
            "account_id": account,
            "channel": np.where(app, "app", "web")[sess],
            "event_type": etype,
            "product_id": product,
            "search_query": np.where(etype == "search",
                                     rng.choice(ref.SEARCH_QUERIES, sess.size), None),
            "order_id": np.where(etype == "purchase", order_id[sess], None),
            "page": np.where(app[sess], None, rng.choice(ref.PAGES, sess.size)),
            "referrer": np.where(first & (rng.random(sess.size) < 0.2),
                                 rng.choice(ref.REFERRERS, sess.size), None),
            "utm_source": np.where(campaign, utm[utm_i, 0], None),
            "utm_medium": np.where(campaign, utm[utm_i, 1], None),
            "utm_campaign": np.where(campaign, utm[utm_i, 2], None),
            "t": t,
        })
        events = events[events["t"] < D]
        # at-least-once delivery: about 1.5% of events arrive twice, some a day later
        dup = events[rng.random(len(events)) < 0.015].copy()
        later = rng.random(len(dup)) < 0.3
        dup["t"] = np.where(later, np.minimum(dup["t"] + 1, D - 1e-6), dup["t"])
        self.reviews = events.loc[events["event_type"] == "review_submit", ["account_id", "t"]]
        events = pd.concat([events, dup], ignore_index=True)
        events["business_date"] = _business_date(self.cfg.start,
                                                 events["t"] - LOCAL_UTC_OFFSET_HOURS / 24)
        # the business day of an event is its UTC date; drop what falls before the window
        events = events[events["t"] - LOCAL_UTC_OFFSET_HOURS / 24 >= 0]
        return events.sort_values("t", kind="stable").drop(columns="t").reset_index(drop=True)

    # ----------------------------------------------------------------- surveys
    def surveys(self) -> pd.DataFrame:
        rng, D = self.rng, self.D
        r = self.receipts[self.receipts["survey"] & (self.receipts["member"] >= 0)]
        o = self.online[self.online["survey"] & ~self.online["cancelled"]]
        member = np.concatenate([r["member"].to_numpy(), o["member"].to_numpy()])
        is_online = np.concatenate([np.zeros(len(r), bool), np.ones(len(o), bool)])
        after = np.concatenate([r["t"].to_numpy(),
                                np.nan_to_num(o["delivered"].to_numpy(), nan=0)])
        returned = np.concatenate([r["returned"].to_numpy(), o["returned"].to_numpy()])
        late = np.concatenate([np.zeros(len(r), bool), o["late"].to_numpy()])
        k = member.size
        submitted = after + rng.uniform(0.2, 3, k)
        bad = returned | late
        s = self.satisfaction[member]
        noise = rng.normal(0, 1, k)
        nps = np.clip(np.round(7.6 + 1.4 * s - 3.2 * bad + 1.2 * noise), 0, 10)
        csat = np.clip(np.round(3.9 + 0.6 * s - 1.3 * bad + 0.6 * noise), 1, 5)
        touch = np.select([returned, late, is_online], ["return", "delivery", "online_order"],
                          "store_visit")
        touch = np.where(rng.random(k) < 0.05, "customer_service", touch)
        has_nps, has_csat = rng.random(k) < 0.85, rng.random(k) < 0.9
        has_drivers = rng.random(k) < 0.7
        has_nps |= ~(has_csat | has_drivers)
        drivers = {}
        for name, w_s, w_bad in _DRIVERS:
            d = np.clip(np.round(3.8 + w_s * s - w_bad * bad + rng.normal(0, 0.7, k)), 1, 5)
            drivers[name] = np.where(has_drivers, d, np.nan)
        sentiment = np.select([nps >= 9, nps >= 7], ["positive", "neutral"], "negative")
        lang = rng.choice(["zh", "en"], k, p=[0.6, 0.4])
        comment = np.array([
            ref.COMMENTS[se][la][i % len(ref.COMMENTS[se][la])]
            for se, la, i in zip(sentiment, lang, rng.integers(0, 100, k), strict=True)
        ], dtype=object)
        has_comment = rng.random(k) < 0.35
        app = np.concatenate([np.zeros(len(r), bool), o["app"].to_numpy()])
        store_idx = np.concatenate([r["store_idx"].to_numpy(), np.full(len(o), -1)])
        card = np.concatenate([r["card"].to_numpy(), np.zeros(len(o), bool)])
        df = pd.DataFrame({
            "response_id": self._shard_ids("SR", k, 8, 10**7),
            "submitted_at": _iso_local(self.base, submitted) + "+08:00",
            "survey_id": np.where(is_online, "SV-ONLINE-2", "SV-STORE-1"),
            "touchpoint": touch,
            "member_card_id": np.where(~is_online & card, self.card_ids[member], None),
            "email": np.where(is_online, self.email[member], None),
            "transaction_id": np.concatenate([self._receipt_id(r.index.to_numpy()),
                                              np.full(len(o), None)]),
            "order_id": np.concatenate([np.full(len(r), None), o["order_id"].to_numpy()]),
            "store_id": np.where(store_idx >= 0, self.store_ids[np.maximum(store_idx, 0)], "WEB"),
            "channel": np.select([~is_online, app], ["store", "app"], "web"),
            "nps": np.where(has_nps, nps, np.nan),
            "csat": np.where(has_csat, csat, np.nan),
            **drivers,
            "comment": np.where(has_comment, comment, None),
            "language": np.where(has_comment & (rng.random(k) < 0.8), lang, None),
            "t": submitted,
            "member": member,
        })
        df = df[df["t"] < D].sort_values("t", kind="stable").reset_index(drop=True)
        df["business_date"] = _business_date(self.cfg.start, df["t"].to_numpy())
        for c in ["nps", "csat", *drivers]:
            df[c] = df[c].astype("Int64")
        return df

    # ----------------------------------------------------------------- tiers and members file
    def monthly_tiers(self, sales: pd.DataFrame) -> pd.DataFrame:
        """Tier per member at each month start, as the loyalty engine computes it."""
        start = pd.Timestamp(self.cfg.start)
        month_starts = pd.date_range(start, start + pd.Timedelta(days=self.D), freq="MS")
        bounds = np.concatenate([[0.0], ((month_starts - start).days.to_numpy())])
        bounds = np.unique(bounds[bounds < self.D])
        spend = np.zeros((self.cfg.members, bounds.size + 1))
        member_sales = sales[sales["buyer"] >= 0]
        o = self.online[~self.online["cancelled"]]
        frames = [
            (member_sales["buyer"].to_numpy(), member_sales["t"].to_numpy(),
             member_sales["net_amount"].to_numpy()),
            (o["member"].to_numpy(), o["placed"].to_numpy(), o["subtotal"].to_numpy()),
        ]
        for m, t, amount in frames:
            np.add.at(spend, (m, np.searchsorted(bounds, t, side="right")), amount)
        cum = np.cumsum(spend, axis=1)[:, :-1]  # spend before each bound
        avg_line = float(self.list_price.mean()) * 1.3
        prior = self.rate * 365 * self.basket * avg_line * (self.enrol_day < 0) * self.alive
        months_in = bounds / 30.4
        est = cum + prior[:, None] * np.clip(12 - months_in, 0, 12)[None, :] / 12
        thresholds = np.array([r[1] for r in TIER_RULES])
        tier_idx = np.searchsorted(thresholds, est, side="right") - 1
        # members who enrol during the window start as regular
        tier_idx = np.where(self.enrol_day[:, None] >= bounds[None, :], 0, tier_idx)
        self.tier_bounds, self.tier_idx = bounds, tier_idx
        return tier_idx

    def members_file(self, register: pd.DataFrame) -> pd.DataFrame:
        rng, n, D = self.rng, self.cfg.members, self.D
        names = np.array([r[0] for r in TIER_RULES])
        base = register.copy()
        base["t"] = np.maximum(self.enrol_day, 0.0)
        base["enrolled_at"] = _iso_local(self.base, self.enrol_day) + "+08:00"
        base["tier"] = names[self.tier_idx[:, 0]]
        base["status"] = "active"
        base["kind"] = "register"
        changes = []
        # tier reviews at each month start
        for j in range(1, self.tier_bounds.size):
            moved = (self.tier_idx[:, j] != self.tier_idx[:, j - 1]) & (
                self.enrol_day < self.tier_bounds[j])
            idx = np.flatnonzero(moved)
            changes.append(pd.DataFrame({"m": idx, "t": self.tier_bounds[j] + 3 / 24,
                                         "tier": names[self.tier_idx[idx, j]]}))
        # consent and e-mail changes, and a few closures
        for col, share in (("marketing_consent", 0.03), ("email", 0.01), ("status", 0.008)):
            idx = np.flatnonzero(rng.random(n) < share)
            t = np.maximum(self.enrol_day[idx], 0) + rng.uniform(0.5, D, idx.size)
            if col == "marketing_consent":
                value = ~self.consent[idx]
            elif col == "email":
                value = np.char.add(np.char.add("new.", self.member_ids[idx]), "@example.com")
            else:
                value = np.full(idx.size, "closed")
            changes.append(pd.DataFrame({"m": idx, "t": t, col: value}))
        ch = pd.concat(changes, ignore_index=True)
        ch = ch[ch["t"] < D].sort_values(["m", "t"], kind="stable")
        state = base.iloc[ch["m"].to_numpy()].reset_index(drop=True)
        state["t"] = ch["t"].to_numpy()
        state["kind"] = "change"
        for col in ("tier", "marketing_consent", "email", "status"):
            if col in ch:
                state[col + "_new"] = ch[col].to_numpy()
        state["m"] = ch["m"].to_numpy()
        # carry each change forward so that a change row holds the member's latest values
        for col in ("tier", "marketing_consent", "email", "status"):
            if col + "_new" not in state:
                continue
            new = state.pop(col + "_new")
            carried = new.groupby(state["m"]).ffill()
            state[col] = carried.where(carried.notna(), state[col]).astype(object)
        rows = pd.concat([base, state.drop(columns="m")], ignore_index=True)
        rows["updated_at"] = _iso_local(self.base, rows["t"].to_numpy()) + "+08:00"
        # the first file holds the whole register as it stood before the first day
        rows["business_date"] = _business_date(self.cfg.start, rows["t"].to_numpy())
        rows = rows.sort_values("t", kind="stable").reset_index(drop=True)
        return rows.drop(columns=["t", "kind", "enrolled_day"])

    # ----------------------------------------------------------------- points ledger
    def points(self, sales: pd.DataFrame, surveys: pd.DataFrame) -> pd.DataFrame:
        rng, D, n = self.rng, self.D, self.cfg.members
        mult = np.array([r[2] for r in TIER_RULES])
        rows = []  # (member, t, kind, amount/points, txn, order)

        def tier_mult(m: np.ndarray, t: np.ndarray) -> np.ndarray:
            j = np.searchsorted(self.tier_bounds, t, side="right") - 1
            return mult[self.tier_idx[m, np.maximum(j, 0)]]

        rc = self.receipts[self.receipts["card"]]
        receipt_net = np.bincount(sales["receipt"].to_numpy(),
                                  weights=sales["net_amount"].to_numpy(),
                                  minlength=len(self.receipt_ids))
        net = receipt_net[rc.index.to_numpy()]
        m, t = rc["member"].to_numpy(), rc["t"].to_numpy()
        rows.append(pd.DataFrame({"m": m, "t": t + 1e-4, "type": "earn", "reason": "purchase",
                                  "points": np.floor(net * tier_mult(m, t)),
                                  "transaction_id": self._receipt_id(rc.index.to_numpy()),
                                  "order_id": None}))
        rr = getattr(self, "return_receipts", pd.DataFrame(columns=["member"]))
        rr = rr[rr["member"] >= 0]
        if len(rr):
            m, t = rr["member"].to_numpy(), rr["t"].to_numpy()
            rows.append(pd.DataFrame({"m": m, "t": t, "type": "adjust", "reason": "purchase",
                                      "points": -np.floor(rr["refund"].to_numpy()
                                                          * tier_mult(m, t)),
                                      "transaction_id": self._receipt_id(
                                          rr["receipt"].to_numpy()),
                                      "order_id": None}))
        o = self.online[~self.online["cancelled"]]
        m, t = o["member"].to_numpy(), o["paid"].to_numpy()
        rows.append(pd.DataFrame({"m": m, "t": t, "type": "earn", "reason": "purchase",
                                  "points": np.floor(o["subtotal"].to_numpy() * tier_mult(m, t)),
                                  "transaction_id": None, "order_id": o["order_id"].to_numpy()}))
        orr = o[o["returned"]]
        m, t = orr["member"].to_numpy(), orr["returned_t"].to_numpy()
        rows.append(pd.DataFrame({"m": m, "t": t, "type": "adjust", "reason": "purchase",
                                  "points": -np.floor(orr["subtotal"].to_numpy()
                                                      * tier_mult(m, t)),
                                  "transaction_id": None, "order_id": orr["order_id"].to_numpy()}))
        new = np.flatnonzero(self.enrol_day >= 0)
        rows.append(pd.DataFrame({"m": new, "t": self.enrol_day[new], "type": "earn",
                                  "reason": "enrolment", "points": 100.0}))
        prof = new[rng.random(new.size) < 0.6]
        rows.append(pd.DataFrame({"m": prof, "t": self.enrol_day[prof] + rng.uniform(0, 7,
                                                                                     prof.size),
                                  "type": "earn", "reason": "profile", "points": 50.0}))
        sm = surveys["member"].to_numpy()
        rows.append(pd.DataFrame({"m": sm, "t": surveys["t"].to_numpy() + 1e-3, "type": "earn",
                                  "reason": "survey", "points": 20.0}))
        acct_to_member = pd.Series(np.arange(n), index=self.account_ids).dropna()
        acct_to_member = acct_to_member[acct_to_member.index.notna()]
        rv = self.reviews.dropna(subset=["account_id"])
        rows.append(pd.DataFrame({"m": acct_to_member.reindex(rv["account_id"]).to_numpy(),
                                  "t": rv["t"].to_numpy(), "type": "earn", "reason": "review",
                                  "points": 30.0}))
        for reason, share, pts in (("referral", 0.04, 200.0), ("social_share", 0.05, 10.0)):
            who = np.flatnonzero(rng.random(n) < share)
            t = np.maximum(self.enrol_day[who], 0) + rng.uniform(0, D, who.size)
            rows.append(pd.DataFrame({"m": who, "t": t, "type": "earn", "reason": reason,
                                      "points": pts}))
        bday = (self.birth - self.birth.astype("datetime64[Y]")).astype(int)  # day of year
        start_doy = (np.datetime64(self.cfg.start, "D") - np.datetime64(self.cfg.start, "Y")
                     ).astype(int)
        offset = (bday - start_doy) % 365
        who = np.flatnonzero(offset < D)
        rows.append(pd.DataFrame({"m": who, "t": offset[who] + 0.4, "type": "earn",
                                  "reason": "birthday", "points": 100.0}))
        led = pd.concat(rows, ignore_index=True)
        led = led[(led["t"] >= 0) & (led["t"] < D) & led["m"].notna()]
        led = led[(self.enrol_day[led["m"].astype(int)] <= led["t"])]
        led = led.sort_values(["m", "t"], kind="stable").reset_index(drop=True)
        return self._apply_balance_rules(led)

    def _apply_balance_rules(self, led: pd.DataFrame) -> pd.DataFrame:
        """Redemptions and expiry need the running balance: one pass in member-time order."""
        rng, D = self.rng, self.D
        m = led["m"].astype(int).tolist()
        t = led["t"].tolist()
        pts = led["points"].tolist()
        typ = led["type"].tolist()
        reason = led["reason"].tolist()
        redeem_draw = rng.random(len(m)).tolist()
        redeem_share = rng.uniform(0.3, 1.0, len(m)).tolist()
        out_m, out_t, out_type, out_pts, out_src = [], [], [], [], []

        def emit(member: int, when: float, kind: str, points: float, source: int) -> None:
            out_m.append(member)
            out_t.append(when)
            out_type.append(kind)
            out_pts.append(points)
            out_src.append(source)

        def expire_if_inactive(member: int, balance: float, last_active: float,
                               before: float) -> bool:
            """Expire the whole balance 180 days after the last earning, if before ``before``."""
            due = last_active + EXPIRY_AFTER_INACTIVE_DAYS
            if member >= 0 and balance > 0 and due < before:
                emit(member, due, "expire", -balance, -1)
                return True
            return False

        balance, last_active, current = 0.0, 0.0, -1
        for i in range(len(m)):
            if m[i] != current:
                expire_if_inactive(current, balance, last_active, D)
                current, balance, last_active = m[i], 0.0, t[i]
            if expire_if_inactive(current, balance, last_active, t[i]):
                balance = 0.0
            p = pts[i]
            if p < 0:
                p = -min(-p, balance)  # the engine never takes a balance below zero
                if p == 0:
                    continue
            emit(current, t[i], typ[i], p, i)
            balance += p
            if typ[i] == "earn":
                last_active = t[i]
            if (reason[i] == "purchase" and typ[i] == "earn" and balance >= 500
                    and redeem_draw[i] < 0.2):
                amount = float(int(balance * redeem_share[i] / 100) * 100)
                if amount > 0:
                    emit(current, t[i] + 1e-4, "redeem", -amount, i)
                    balance -= amount
        expire_if_inactive(current, balance, last_active, D)
        src = np.array(out_src, dtype=int)
        has = src >= 0
        srci = np.where(has, src, 0)
        out = pd.DataFrame({
            "member_id": self.member_ids[np.array(out_m, dtype=int)],
            "t": np.array(out_t, dtype=float),
            "entry_type": out_type,
            "reason": np.where(has & (np.array(out_type) != "redeem"),
                               led["reason"].to_numpy()[srci], None),
            "points": np.array(out_pts).astype("int64"),
            "transaction_id": np.where(has, led["transaction_id"].to_numpy()[srci], None),
            "order_id": np.where(has, led["order_id"].to_numpy()[srci], None),
        })
        out = out[out["t"] < D].sort_values("t", kind="stable").reset_index(drop=True)
        out.insert(0, "entry_id", self._shard_ids("E", len(out), 10, 10**9))
        out["entry_ts"] = _iso_local(self.base, out["t"].to_numpy()) + "+08:00"
        out["business_date"] = _business_date(self.cfg.start, out["t"].to_numpy())
        return out.drop(columns="t")


_HOUR_WEIGHTS = np.array([2, 4, 6, 7, 8, 7, 6, 6, 7, 9, 10, 9, 6, 3], dtype=float)
_HOUR_WEIGHTS /= _HOUR_WEIGHTS.sum()

_DRIVERS = [  # column, weight of satisfaction, weight of a bad experience
    ("rating_product_quality", 0.5, 0.9),
    ("rating_service", 0.6, 0.6),
    ("rating_price_value", 0.3, 0.2),
    ("rating_experience", 0.5, 1.2),
    ("rating_brand_trust", 0.4, 0.5),
]

_TEMPLATES = [
    # order-ending sessions (1..4 product views)
    ["page_view", "search", "product_view", "add_to_cart", "checkout_start", "purchase"],
    ["page_view", "search", "product_view", "product_view", "add_to_cart", "checkout_start",
     "purchase"],
    ["page_view", "coupon_view", "search", "product_view", "product_view", "compare",
     "add_to_cart", "checkout_start", "purchase"],
    ["search", "product_view", "product_view", "product_view", "product_view", "add_to_cart",
     "add_to_cart", "checkout_start", "purchase"],
    # browsing sessions with drop-offs
    ["page_view"],
    ["page_view", "page_view"],
    ["page_view", "search", "product_view"],
    ["search", "product_view", "product_view", "compare"],
    ["page_view", "search", "product_view", "add_to_cart"],
    ["page_view", "product_view", "add_to_cart", "remove_from_cart"],
    ["page_view", "search", "product_view", "add_to_cart", "checkout_start"],
    ["page_view", "coupon_view", "product_view"],
    # research online before a store visit, post-purchase touches
    ["search", "product_view", "product_view"],
    ["page_view", "review_submit"],
    ["page_view", "support_contact"],
]
_T_PURCHASE_FIRST, _T_PURCHASE_LAST = 0, 3
_BROWSE_TEMPLATES = np.arange(4, 12)
_BROWSE_WEIGHTS = np.array([0.28, 0.12, 0.18, 0.08, 0.14, 0.05, 0.1, 0.05])
_T_RESEARCH, _T_REVIEW, _T_SUPPORT = 12, 13, 14
_TEMPLATE_LEN = np.array([len(t) for t in _TEMPLATES])
_TEMPLATE_OFFSET = np.concatenate([[0], np.cumsum(_TEMPLATE_LEN)[:-1]])
_TEMPLATE_FLAT = np.array([e for t in _TEMPLATES for e in t])


def simulate(cfg: GeneratorConfig, shard: int = 0, member_offset: int = 0) -> World:
    """Run the simulation of one shard of members (by default all of ``cfg.members``) and
    return every landing dataset as a DataFrame."""
    sim = _Simulation(cfg, shard, member_offset)
    stores = sim.stores()
    sim.store_ids = stores["store_id"].to_numpy()[:-1]
    products = sim.products()
    sim.start_shard()
    sim.member_traits()
    register = sim.member_register()
    purchases = sim.purchases()
    sales = sim.till(purchases)
    orders, items = sim.orders(purchases)
    events = sim.events()
    surveys = sim.surveys()
    sim.monthly_tiers(sales)
    members = sim.members_file(register)
    points = sim.points(sales, surveys)

    transactions = sim.transactions_table(sales)
    return World(
        stores=stores,
        products=products,
        transactions=transactions,
        members=members,
        points=points,
        orders=orders.sort_values("status_updated_at", kind="stable").reset_index(drop=True),
        order_items=items,
        events=events,
        surveys=surveys.drop(columns=["t", "member"]),
    )
