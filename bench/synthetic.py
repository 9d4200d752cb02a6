"""A deterministic synthetic WooCommerce store, as the unified events its plugin would send.

The same arguments give the same events, byte for byte: every random choice comes from one
``random.Random(seed)`` and every time is an offset from ``end``. The store sells books, cosmetics,
electronics and groceries in toman (``IRT``) to Persian-speaking customers whose phone numbers are
spelt the many ways real checkouts spell them (``09121234567``, ``۰۹۱۲۱۲۳۴۵۶۷``, ``+98 912 123 4567``).

Events come out oldest first with stable ids (``order-1042-created``, ``payment-1042``…), so a
second run against the same store is all duplicates. Use it from code::

    from bench.synthetic import generate
    store = generate(seed=1403, customers=300, orders=900)
    store.events  # list of {"id", "type", "occurred_at", "data"} dicts

or from a shell: ``uv run python -m bench.synthetic --seed 1403 > events.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

TEHRAN = ZoneInfo("Asia/Tehran")
CURRENCY = "IRT"
DAYS_PER_MONTH = 30.44

# (Persian, Latin) so e-mail addresses can be made from the same name.
FIRST_NAMES: tuple[tuple[str, str], ...] = (
    ("سارا", "sara"), ("مریم", "maryam"), ("زهرا", "zahra"), ("فاطمه", "fatemeh"), ("نرگس", "narges"),
    ("الهام", "elham"), ("نازنین", "nazanin"), ("مهسا", "mahsa"), ("فرشته", "fereshteh"), ("لیلا", "leila"),
    ("سمیرا", "samira"), ("شیرین", "shirin"), ("پریسا", "parisa"), ("نیلوفر", "niloofar"),
    ("هانیه", "hanieh"), ("آزاده", "azadeh"), ("مینا", "mina"), ("رویا", "roya"), ("ساناز", "sanaz"),
    ("یاسمن", "yasaman"), ("کیمیا", "kimia"), ("ترانه", "taraneh"), ("محمد", "mohammad"), ("علی", "ali"),
    ("حسین", "hossein"), ("رضا", "reza"), ("مهدی", "mahdi"), ("امیر", "amir"), ("حامد", "hamed"),
    ("سعید", "saeed"), ("مجید", "majid"), ("کاوه", "kaveh"), ("آرش", "arash"), ("بهرام", "bahram"),
    ("پویا", "pouya"), ("سینا", "sina"), ("میلاد", "milad"), ("نیما", "nima"), ("بابک", "babak"),
    ("کامران", "kamran"), ("فرهاد", "farhad"), ("داریوش", "dariush"), ("امید", "omid"), ("احسان", "ehsan"),
)  # fmt: skip

LAST_NAMES: tuple[tuple[str, str], ...] = (
    ("احمدی", "ahmadi"), ("محمدی", "mohammadi"), ("حسینی", "hosseini"), ("رضایی", "rezaei"),
    ("کریمی", "karimi"), ("موسوی", "mousavi"), ("جعفری", "jafari"), ("صادقی", "sadeghi"),
    ("کاظمی", "kazemi"), ("رحیمی", "rahimi"), ("هاشمی", "hashemi"), ("قاسمی", "ghasemi"),
    ("نوری", "nouri"), ("طاهری", "taheri"), ("اکبری", "akbari"), ("یزدانی", "yazdani"),
    ("شریفی", "sharifi"), ("مرادی", "moradi"),
    ("نجفی", "najafi"), ("سلیمانی", "soleimani"), ("فرهادی", "farhadi"), ("عباسی", "abbasi"),
    ("قربانی", "ghorbani"), ("زمانی", "zamani"), ("ابراهیمی", "ebrahimi"), ("بهرامی", "bahrami"),
    ("تهرانی", "tehrani"), ("اصفهانی", "esfahani"), ("شیرازی", "shirazi"), ("تبریزی", "tabrizi"),
    ("کرمانی", "kermani"), ("رستمی", "rostami"), ("افشار", "afshar"), ("پاکزاد", "pakzad"),
    ("نیک‌نام", "niknam"), ("صالحی", "salehi"), ("ملکی", "maleki"), ("توکلی", "tavakoli"),
    ("دهقان", "dehghan"), ("اسدی", "asadi"), ("میرزایی", "mirzaei"), ("باقری", "bagheri"),
)  # fmt: skip

# Tehran dominates, as it does in Iranian online retail.
CITIES: tuple[tuple[str, int], ...] = (
    ("تهران", 38), ("مشهد", 9), ("اصفهان", 8), ("شیراز", 7), ("تبریز", 6), ("کرج", 6), ("اهواز", 4),
    ("قم", 4), ("رشت", 4), ("کرمانشاه", 3), ("یزد", 3), ("ارومیه", 2), ("ساری", 2), ("کرمان", 2),
    ("همدان", 2),
)  # fmt: skip

# Mobile prefixes of Hamrah-e Aval (091x, 0990), Irancell (093x, 090x) and Rightel (092x).
MOBILE_PREFIXES: tuple[str, ...] = (
    "912", "912", "912", "919", "910", "913", "914", "915", "917", "935", "935", "936", "937", "938",
    "939", "930", "933", "901", "901", "902", "903", "905", "990", "921", "922",
)  # fmt: skip

EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
COUPON_CODES = ("YALDA1403", "NOROOZ1404", "WELCOME10", "BAHAR20", "TAKHFIF15", "BLACKFRIDAY")
PAYMENT_METHODS: tuple[tuple[str, int], ...] = (("zarinpal", 6), ("mellat", 2), ("saman", 1), ("idpay", 1))
REFUND_REASONS = ("مرجوعی مشتری", "ناموجود بودن کالا", "آسیب دیدگی در ارسال", "")
SHIPPING_FEES = (0, 35_000, 45_000, 60_000)
FREE_SHIPPING_FROM = 2_000_000


@dataclass(frozen=True)
class Category:
    id: str
    name: str


BOOKS = Category("10", "کتاب")
COSMETICS = Category("20", "آرایشی و بهداشتی")
ELECTRONICS = Category("30", "کالای دیجیتال")
GROCERY = Category("40", "چای، قهوه و خوراکی")
STATIONERY = Category("50", "لوازم التحریر")


@dataclass(frozen=True)
class Product:
    id: str
    name: str
    sku: str
    category: Category
    price: int
    """In toman, the store's currency."""


def _catalogue() -> tuple[Product, ...]:
    rows: tuple[tuple[str, str, Category, int], ...] = (
        ("کتاب بوف کور", "BK-BOOF", BOOKS, 180_000),
        ("کتاب شازده کوچولو", "BK-PRINCE", BOOKS, 120_000),
        ("کلیدر (دوره ده جلدی)", "BK-KELIDAR", BOOKS, 2_400_000),
        ("کتاب سمفونی مردگان", "BK-SYMPH", BOOKS, 260_000),
        ("دیوان حافظ نفیس", "BK-HAFEZ", BOOKS, 950_000),
        ("شاهنامه فردوسی (دو جلدی)", "BK-SHAHNAMEH", BOOKS, 1_800_000),
        ("کتاب ملت عشق", "BK-ELIF", BOOKS, 320_000),
        ("کتاب عادت‌های اتمی", "BK-ATOMIC", BOOKS, 240_000),
        ("کرم ضدآفتاب SPF50", "CS-SUN50", COSMETICS, 450_000),
        ("شامپو گیاهی ۴۰۰ میلی‌لیتر", "CS-SHAMPOO", COSMETICS, 185_000),
        ("رژ لب مات", "CS-LIP", COSMETICS, 320_000),
        ("ادکلن مردانه ۱۰۰ میلی‌لیتر", "CS-EDT-M", COSMETICS, 3_200_000),
        ("عطر زنانه ۵۰ میلی‌لیتر", "CS-EDP-W", COSMETICS, 2_750_000),
        ("سرم ویتامین C", "CS-VITC", COSMETICS, 690_000),
        ("کرم مرطوب‌کننده", "CS-MOIST", COSMETICS, 280_000),
        ("ریمل حجم‌دهنده", "CS-MASCARA", COSMETICS, 390_000),
        ("صابون دست‌ساز", "CS-SOAP", COSMETICS, 65_000),
        ("هندزفری بی‌سیم", "EL-BUDS", ELECTRONICS, 1_450_000),
        ("پاوربانک ۲۰۰۰۰ میلی‌آمپر", "EL-PB20", ELECTRONICS, 1_250_000),
        ("شارژر دیواری ۲۵ وات", "EL-CHG25", ELECTRONICS, 480_000),
        ("کابل USB-C", "EL-USBC", ELECTRONICS, 120_000),
        ("ماوس بی‌سیم", "EL-MOUSE", ELECTRONICS, 550_000),
        ("کیبورد مکانیکی", "EL-KEYB", ELECTRONICS, 3_900_000),
        ("اسپیکر بلوتوثی", "EL-SPK", ELECTRONICS, 2_200_000),
        ("ساعت هوشمند", "EL-WATCH", ELECTRONICS, 6_800_000),
        ("هدفون گیمینگ", "EL-HEADSET", ELECTRONICS, 2_950_000),
        ("فلش مموری ۶۴ گیگابایت", "EL-USB64", ELECTRONICS, 210_000),
        ("تبلت ۱۰ اینچ", "EL-TAB10", ELECTRONICS, 14_500_000),
        ("گوشی موبایل میان‌رده", "EL-PHONE", ELECTRONICS, 20_000_000),
        ("چای ماسالا ۵۰۰ گرم", "GR-MASALA", GROCERY, 420_000),
        ("قهوه اسپرسو ۲۵۰ گرم", "GR-ESPRESSO", GROCERY, 560_000),
        ("زعفران نیم مثقال", "GR-SAFFRON", GROCERY, 780_000),
        ("عسل طبیعی یک کیلویی", "GR-HONEY", GROCERY, 890_000),
        ("چای سبز کیسه‌ای", "GR-GREENTEA", GROCERY, 95_000),
        ("نبات زعفرانی", "GR-NABAT", GROCERY, 50_000),
        ("دفتر یادداشت چرمی", "ST-NOTEBOOK", STATIONERY, 150_000),
        ("خودنویس فلزی", "ST-PEN", STATIONERY, 680_000),
    )
    return tuple(
        Product(id=str(101 + index), name=name, sku=sku, category=category, price=price)
        for index, (name, sku, category, price) in enumerate(rows)
    )


PRODUCTS: tuple[Product, ...] = _catalogue()


@dataclass
class _Person:
    first: tuple[str, str]
    last: tuple[str, str]
    local_phone: str
    """``09xxxxxxxxx``: the canonical spelling, re-spelt differently each time it is sent."""
    email: str | None
    city: str
    external_id: str | None = None
    created_at: datetime | None = None
    birthday: date | None = None
    marketing_consent: bool | None = None


@dataclass
class _Event:
    at: datetime
    seq: int
    id: str
    type: str
    data: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "occurred_at": _stamp(self.at),
            "data": self.data,
        }


@dataclass(frozen=True)
class SyntheticStore:
    """What ``generate`` made: the events, oldest first, and a few counts to check them against."""

    events: list[dict[str, Any]]
    customers: int
    guests: int
    orders: int
    statuses: dict[str, int] = field(default_factory=dict)

    def count_by_type(self) -> dict[str, int]:
        return dict(Counter(event["type"] for event in self.events))


def default_end() -> datetime:
    """Today at 00:00 UTC: stable for a day, so two runs on the same day make the same store."""
    now = datetime.now(UTC)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def generate(
    *,
    seed: int = 1403,
    customers: int = 300,
    orders: int = 900,
    months: int = 18,
    end: datetime | None = None,
    guest_share: float = 0.04,
) -> SyntheticStore:
    """A store whose ``customers`` registered customers and a few guests placed ``orders`` orders in
    the ``months`` before ``end``. Same arguments, same events."""
    if customers < 1 or orders < 0:
        raise ValueError("customers must be at least 1 and orders at least 0")
    end = (end or default_end()).astimezone(UTC)
    start = end - timedelta(days=months * DAYS_PER_MONTH)
    return _Generator(random.Random(seed), start=start, end=end).run(
        customers=customers, orders=orders, guest_share=guest_share
    )


def batches(events: Iterable[dict[str, Any]], size: int = 500) -> Iterator[list[dict[str, Any]]]:
    """Split events into batches of at most ``size`` (the REST endpoint takes up to 500)."""
    batch: list[dict[str, Any]] = []
    for event in events:
        batch.append(event)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# --- the generator --------------------------------------------------------------------------------


class _Generator:
    def __init__(self, rng: random.Random, *, start: datetime, end: datetime) -> None:
        self.rng = rng
        self.start = start
        self.end = end
        self.events: list[_Event] = []
        self.used_phones: set[str] = set()
        self.used_emails: set[str] = set()

    def run(self, *, customers: int, orders: int, guest_share: float) -> SyntheticStore:
        registered = [self._registered_customer(number) for number in range(customers)]
        # A few customers dominate: heavy-tailed weights make loyal regulars and one-off buyers.
        weights = [min(self.rng.paretovariate(1.8), 12.0) for _ in registered]
        guests: list[_Person] = []
        placements: list[tuple[datetime, _Person]] = []
        for _ in range(orders):
            if self.rng.random() < guest_share:
                if guests and self.rng.random() < 0.3:
                    person = self.rng.choice(guests)  # the same guest, back again
                else:
                    person = self._person()
                    guests.append(person)
                placements.append((self._shopping_time(self.start), person))
            else:
                person = self.rng.choices(registered, weights=weights)[0]
                assert person.created_at is not None
                placements.append((self._shopping_time(person.created_at), person))
        placements.sort(key=lambda placement: placement[0])

        statuses: Counter[str] = Counter()
        for number, (placed_at, person) in enumerate(placements, start=1001):
            statuses[self._order(str(number), placed_at, person)] += 1
        for person in registered:
            self._maybe_update(person)

        self.events.sort(key=lambda event: (event.at, event.seq))
        return SyntheticStore(
            events=[event.as_json() for event in self.events],
            customers=customers,
            guests=len(guests),
            orders=orders,
            statuses=dict(statuses),
        )

    # people

    def _person(self) -> _Person:
        first = self.rng.choice(FIRST_NAMES)
        last = self.rng.choice(LAST_NAMES)
        phone = self._phone()
        email = None
        if self.rng.random() < 0.45:
            email = self._email(first[1], last[1])
        city = self.rng.choices([name for name, _ in CITIES], weights=[w for _, w in CITIES])[0]
        return _Person(first=first, last=last, local_phone=phone, email=email, city=city)

    def _registered_customer(self, number: int) -> _Person:
        person = self._person()
        person.external_id = str(57 + number * 3)  # WooCommerce user ids, with gaps
        # More sign-ups lately: the square root bends the spread towards ``end``.
        span = (self.end - self.start).total_seconds()
        person.created_at = self.start + timedelta(seconds=span * self.rng.random() ** 0.7)
        if self.rng.random() < 0.3:
            year, month, day = self.rng.randint(1965, 2005), self.rng.randint(1, 12), self.rng.randint(1, 28)
            person.birthday = date(year, month, day)
        roll = self.rng.random()
        person.marketing_consent = True if roll < 0.85 else (False if roll < 0.95 else None)
        self._add(
            person.created_at,
            f"customer-{person.external_id}-created",
            "customer.created",
            self._customer_data(person, full=True),
        )
        return person

    def _maybe_update(self, person: _Person) -> None:
        """A few customers change their details or withdraw consent after signing up."""
        assert person.created_at is not None
        if self.rng.random() >= 0.06:
            return
        at = self._between(person.created_at, self.end - timedelta(minutes=5))
        if self.rng.random() < 0.5:
            person.marketing_consent = False
        else:
            person.city = self.rng.choice([name for name, _ in CITIES])
        self._add(
            at,
            f"customer-{person.external_id}-updated",
            "customer.updated",
            self._customer_data(person, full=True),
        )

    def _phone(self) -> str:
        while True:
            prefix = self.rng.choice(MOBILE_PREFIXES)
            local = f"0{prefix}{self.rng.randint(0, 9_999_999):07d}"
            if local not in self.used_phones:
                self.used_phones.add(local)
                return local

    def _email(self, first: str, last: str) -> str:
        while True:
            style = self.rng.randrange(3)
            local = (
                f"{first}.{last}"
                if style == 0
                else f"{first}{last}{self.rng.randint(1, 99)}"
                if style == 1
                else f"{first[0]}.{last}{self.rng.randint(60, 99)}"
            )
            email = f"{local}@{self.rng.choice(EMAIL_DOMAINS)}"
            if email not in self.used_emails:
                self.used_emails.add(email)
                return email

    def spell_phone(self, local: str) -> str:
        """One of the ways a checkout form receives the same number."""
        roll = self.rng.random()
        national = local[1:]
        if roll < 0.55:
            return local
        if roll < 0.70:
            return _persian_digits(local)
        if roll < 0.82:
            return f"+98{national}"
        if roll < 0.90:
            return f"+98 {national[:3]} {national[3:6]} {national[6:]}"
        if roll < 0.96:
            return f"{local[:4]} {local[4:7]} {local[7:]}"
        return f"0098{national}"

    def _customer_data(self, person: _Person, *, full: bool) -> dict[str, Any]:
        data: dict[str, Any] = {
            "phone": self.spell_phone(person.local_phone),
            "first_name": person.first[0],
            "last_name": person.last[0],
        }
        if person.external_id is not None:
            data = {"external_id": person.external_id, **data}
        if person.email:
            data["email"] = person.email
        if full:
            data["city"] = person.city
            if person.birthday:
                data["birthday"] = person.birthday.isoformat()
            if person.marketing_consent is not None:
                data["marketing_consent"] = person.marketing_consent
            if person.created_at is not None:
                data["created_at"] = _stamp(person.created_at)
        return data

    # orders

    def _order(self, external_id: str, placed_at: datetime, person: _Person) -> str:
        """Add the events of one order's life; return the status it ends in."""
        items = self._items()
        subtotal = sum(item["total"] for item in items)
        coupons: list[str] = []
        discount = 0
        if self.rng.random() < 0.12:
            coupons = [self.rng.choice(COUPON_CODES)]
            discount = min(subtotal // 10 // 1000 * 1000, 500_000)
        shipping = 0 if subtotal >= FREE_SHIPPING_FROM else self.rng.choice(SHIPPING_FEES)
        total = subtotal - discount + shipping

        order: dict[str, Any] = {
            "external_id": external_id,
            "number": external_id,
            "status": "pending",
            "currency": CURRENCY,
            "total": str(total),
            "subtotal": str(subtotal),
            "discount_total": str(discount),
            "shipping_total": str(shipping),
            "tax_total": "0",
            "coupon_codes": coupons,
            "items": [{**item, "total": str(item["total"])} for item in items],
            "billing": {
                "phone": self.spell_phone(person.local_phone),
                "first_name": person.first[0],
                "last_name": person.last[0],
                "city": person.city,
                **({"email": person.email} if person.email else {}),
            },
            "customer": self._customer_data(person, full=False),
            "created_at": _stamp(placed_at),
        }

        recent = placed_at > self.end - timedelta(days=2)
        roll = self.rng.random()
        if not recent and roll < 0.08:
            cancelled_at = placed_at + timedelta(hours=self.rng.uniform(1, 30))
            self._add(placed_at, f"order-{external_id}-created", "order.created", order)
            self._add(
                min(cancelled_at, self.end),
                f"order-{external_id}-cancelled",
                "order.updated",
                {**order, "status": "cancelled"},
            )
            return "cancelled"

        paid_at = placed_at + timedelta(seconds=self.rng.randint(40, 600))
        processing = {**order, "status": "processing"}
        self._add(paid_at, f"order-{external_id}-created", "order.created", processing)
        self._add(
            paid_at + timedelta(seconds=2),
            f"payment-{external_id}",
            "payment.completed",
            {
                "order_external_id": external_id,
                "transaction_id": "A" + "".join(str(self.rng.randrange(10)) for _ in range(35)),
                "amount": str(total),
                "currency": CURRENCY,
                "method": self.rng.choices(
                    [name for name, _ in PAYMENT_METHODS], weights=[w for _, w in PAYMENT_METHODS]
                )[0],
                "paid_at": _stamp(paid_at),
            },
        )
        completed_at = paid_at + timedelta(hours=self.rng.uniform(20, 6 * 24))
        if recent or roll < 0.10 or completed_at >= self.end:
            return "processing"
        completed = {**order, "status": "completed", "completed_at": _stamp(completed_at)}
        self._add(completed_at, f"order-{external_id}-completed", "order.updated", completed)
        if roll >= 0.16:
            return "completed"

        refunded_at = completed_at + timedelta(days=self.rng.uniform(1, 14))
        if refunded_at >= self.end:
            return "completed"
        full = self.rng.random() < 0.6 or len(items) == 1
        # A line's price can exceed what was paid once a coupon is off the order: never refund more.
        amount = total if full else min(self.rng.choice(items)["total"], total)
        self._add(
            refunded_at,
            f"refund-{external_id}",
            "order.refunded",
            {
                "order_external_id": external_id,
                "refund_id": str(50_000 + int(external_id)),
                "amount": str(amount),
                "currency": CURRENCY,
                "reason": self.rng.choice(REFUND_REASONS),
            },
        )
        if not full:
            return "partly refunded"
        self._add(
            refunded_at + timedelta(seconds=5),
            f"order-{external_id}-refunded",
            "order.updated",
            {**completed, "status": "refunded"},
        )
        return "refunded"

    def _items(self) -> list[dict[str, Any]]:
        count = self.rng.choices([1, 2, 3, 4], weights=[50, 30, 14, 6])[0]
        products = self.rng.sample(PRODUCTS, count)
        items = []
        for product in products:
            quantity = 1
            if product.price < 500_000 and self.rng.random() < 0.35:
                quantity = self.rng.randint(2, 3)
            items.append(
                {
                    "product_id": product.id,
                    "name": product.name,
                    "sku": product.sku,
                    "quantity": quantity,
                    "total": product.price * quantity,
                    "category_ids": [product.category.id],
                }
            )
        return items

    # helpers

    def _shopping_time(self, low: datetime) -> datetime:
        """A moment after ``low``; people shop less between 02:00 and 09:00 Tehran time."""
        high = self.end - timedelta(hours=1)
        moment = self._between(low, high)
        if 2 <= moment.astimezone(TEHRAN).hour < 9 and self.rng.random() < 0.8:
            later = moment + timedelta(hours=8)
            moment = later if later < high else moment
        return moment

    def _between(self, low: datetime, high: datetime) -> datetime:
        if high <= low:
            return low
        seconds = (high - low).total_seconds()
        return low + timedelta(seconds=int(seconds * self.rng.random()))

    def _add(self, at: datetime, event_id: str, event_type: str, data: dict[str, Any]) -> None:
        self.events.append(_Event(at=at, seq=len(self.events), id=event_id, type=event_type, data=data))


def _stamp(moment: datetime) -> str:
    """ISO 8601 in Tehran time, as an Iranian store's server would write it."""
    return moment.astimezone(TEHRAN).replace(microsecond=0).isoformat()


_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def _persian_digits(text: str) -> str:
    return text.translate(_PERSIAN)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print a synthetic store's events as JSON lines.")
    parser.add_argument("--seed", type=int, default=1403)
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--orders", type=int, default=900)
    parser.add_argument("--months", type=int, default=18)
    parser.add_argument(
        "--end", type=datetime.fromisoformat, default=None, help="ISO time, e.g. 2025-06-01T00:00:00+00:00"
    )
    parser.add_argument("--summary", action="store_true", help="Print counts instead of events.")
    args = parser.parse_args(argv)
    store = generate(
        seed=args.seed, customers=args.customers, orders=args.orders, months=args.months, end=args.end
    )
    if args.summary:
        summary = {
            "events": len(store.events),
            "by_type": store.count_by_type(),
            "customers": store.customers,
            "guests": store.guests,
            "orders": store.orders,
            "statuses": store.statuses,
        }
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        return 0
    for event in store.events:
        sys.stdout.write(json.dumps(event, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
