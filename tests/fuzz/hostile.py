"""Hypothesis strategies for hostile input: text no person types and JSON no honest client sends.

Shared by the fuzz tests of both interfaces. Every strategy is bounded (lengths, leaves), so examples
stay cheap, and :data:`FUZZ` runs a fixed number of them derandomized, the same way in CI every time.
To search harder locally, ``REVISIT_FUZZ_EXAMPLES=2000 pytest tests/fuzz`` runs that many random ones.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import timedelta, timezone
from typing import Any, Final

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

_DEEPER = int(os.environ.get("REVISIT_FUZZ_EXAMPLES", "0"))
FUZZ = settings(
    max_examples=_DEEPER or 50,
    derandomize=not _DEEPER,
    database=None,
    deadline=None,
    # Examples share the test's app and store on purpose; generation is slow for big bodies, not wrong.
    suppress_health_check=list(HealthCheck),
)
"""The settings of every fuzz test: 50 derandomized examples (no deadline: CI machines vary)."""

SPECIAL_TEXT: Final = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "\x01\x02\x1f\x7f",
    "tab\there",
    "line\nbreak\r\n",
    "%00",
    "\\u0000",
    "0",
    "-1",
    "1e309",
    "NaN",
    "null",
    "' OR 1=1 --",
    "{first_name}{credit}",
    "rvk_" + "a" * 40 + "_x",
    "00000000-0000-0000-0000-000000000000",
    "a@b.c",
    "@",
    "x" * 255 + "@example.com",
    "۰۹۱۲۱۲۳۴۵۶۷",
    "‮reversed",
    "😀" * 70,
]
"""Values that broke, or could break, some boundary: NUL, surrogates, controls, numbers as text, edges."""

EVERY_CHARACTER = st.characters(exclude_categories=[])
"""Any code point, unpaired surrogates and control characters included."""

CONTROL_CHARACTER = st.characters(max_codepoint=0x1F) | st.just("\x7f")

LONG_TEXT = st.builds(
    lambda character, count: character * count,
    st.sampled_from(["a", "é", "۱", "\x00", "😀", " "]),
    st.integers(min_value=100, max_value=6000),
)
"""One character repeated past every column and message limit."""

hostile_text = st.one_of(
    st.sampled_from(SPECIAL_TEXT),
    st.text(max_size=30),
    st.text(alphabet=EVERY_CHARACTER, max_size=30),
    st.text(alphabet=CONTROL_CHARACTER | st.sampled_from("aé۱ @."), max_size=12),
    LONG_TEXT,
)
"""Text a hostile client could send in any string."""

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    hostile_text,
)

json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(hostile_text, children, max_size=4),
    max_leaves=16,
)
"""Any JSON value, with hostile text in keys and values."""


@dataclass(frozen=True)
class DeepJson:
    """A JSON value nested ``depth`` levels (lists in objects in lists …), kept as text: far past the
    cap it is too deep for Python's own encoder, which recurses, to write."""

    depth: int

    def text(self) -> str:
        opening = "".join('{"n":' if level % 2 else "[" for level in range(self.depth))
        closing = "".join("}" if level % 2 else "]" for level in reversed(range(self.depth)))
        return f'{opening}"bottom"{closing}'


deep_json = st.integers(min_value=60, max_value=5000).map(DeepJson)
"""JSON around and far past the nesting cap (64), to go anywhere a JSON value goes."""


def encode(body: Any) -> bytes:
    """``body`` as a client on the wire sends it: ASCII JSON, so unpaired surrogates travel as escapes,
    and every :class:`DeepJson` in it written out in full."""
    deep: dict[str, DeepJson] = {}

    def placeholder(value: Any) -> str:
        if not isinstance(value, DeepJson):
            raise TypeError(f"{type(value).__name__} is not JSON")
        marker = f"__deep_{len(deep)}__"
        deep[marker] = value
        return marker

    text = json.dumps(body, ensure_ascii=True, default=placeholder)
    for marker, value in deep.items():
        text = text.replace(f'"{marker}"', value.text(), 1)
    return text.encode()


def order_event(event_id: str, *, external_id: str = "1042") -> dict[str, Any]:
    """A valid ``order.updated`` event."""
    return {
        "id": event_id,
        "type": "order.updated",
        "occurred_at": "2026-11-20T10:00:00+03:30",
        "data": {
            "external_id": external_id,
            "status": "processing",
            "currency": "IRT",
            "total": "1250000",
            "items": [{"product_id": "88", "name": "چای", "quantity": 1, "total": "1250000"}],
            "billing": {"phone": "09121234567", "first_name": "سارا"},
            "customer": {"external_id": "57", "phone": "09121234567", "email": "sara@example.com"},
        },
    }


EVENT_PATHS: Final[list[tuple[str | int, ...]]] = [
    ("id",),
    ("type",),
    ("occurred_at",),
    ("schema_version",),
    ("data",),
    ("data", "external_id"),
    ("data", "status"),
    ("data", "currency"),
    ("data", "total"),
    ("data", "number"),
    ("data", "coupon_codes"),
    ("data", "credit_used"),
    ("data", "items"),
    ("data", "items", 0, "product_id"),
    ("data", "items", 0, "name"),
    ("data", "items", 0, "quantity"),
    ("data", "items", 0, "total"),
    ("data", "items", 0, "category_ids"),
    ("data", "billing", "phone"),
    ("data", "billing", "first_name"),
    ("data", "billing", "email"),
    ("data", "customer"),
    ("data", "customer", "external_id"),
    ("data", "customer", "phone"),
    ("data", "customer", "email"),
    ("data", "customer", "first_name"),
    ("data", "customer", "birthday"),
    ("data", "created_at"),
    ("data", "unknown key"),
]
"""Where a hostile value can go in :func:`order_event`: every field, and a key no model knows."""


def _with(event: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    target: Any = event
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return event


def spoiled_events(event_id: str) -> st.SearchStrategy[dict[str, Any]]:
    """A valid event with one field (or an unknown key) replaced by hostile text or JSON."""
    return st.builds(
        lambda path, value: _with(order_event(event_id, external_id="spoiled"), path, value),
        st.sampled_from(EVENT_PATHS),
        hostile_text | json_values,
    ) | st.builds(
        lambda key: {**order_event(event_id, external_id="spoiled"), key: "value"},
        hostile_text,
    )


# --- valid events at the edges ----------------------------------------------------------------------

PRINTABLE = st.characters(exclude_categories=["Cc", "Cs"])
"""Any character a field without control characters takes: every script, emoji, marks, RTL overrides."""

identifiers = st.text(PRINTABLE, min_size=1, max_size=64).filter(str.strip)
free_text = st.text(PRINTABLE | st.sampled_from("\t\n"), max_size=300)
phones = st.text(st.sampled_from("+0123456789۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩ -()"), max_size=64)
emails = st.emails() | st.text(PRINTABLE, max_size=254)
amounts = st.one_of(
    st.integers(min_value=0, max_value=10**15),
    st.decimals(min_value=0, max_value=10**15, allow_nan=False, allow_infinity=False).map(str),
    st.sampled_from(["0", "0.0000001", "999999999999999.999", "1000000000000000", "1e15", "1E+3"]),
    st.sampled_from(["1000000000000000.01", "1e16", "1e30", str(2**63), "1e-400", "-0", "1e999999999"]),
)
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
moments = st.one_of(
    st.datetimes(timezones=offsets).map(lambda moment: moment.isoformat()),
    st.datetimes(timezones=st.timezones()).map(lambda moment: moment.isoformat()),
    st.sampled_from(
        [
            "0001-01-01T00:00:00+14:00",
            "9999-12-31T23:59:59-12:00",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999Z",
            "1970-01-01T00:00:00+00:00",
            "2038-01-19T03:14:08Z",
        ]
    ),
)
"""Times from year 1 to 9999 at any offset (real zones' historical offsets with seconds included)."""
statuses = st.sampled_from(
    ["pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed", "WC-Completed"]
)
currencies = st.sampled_from(["IRT", "irr", "USD", "EUR", "GBP", "AED", "TRY", "XXX", "JPY"])

customers = st.fixed_dictionaries(
    {},
    optional={
        "external_id": identifiers | st.integers(min_value=0, max_value=2**70),
        "phone": phones,
        "email": emails,
        "first_name": free_text,
        "last_name": free_text,
        "city": free_text,
        "birthday": st.dates().map(str),
        "marketing_consent": st.booleans(),
        "created_at": moments,
    },
)
items = st.fixed_dictionaries(
    {"product_id": identifiers},
    optional={
        "name": free_text,
        "sku": free_text,
        "quantity": st.integers(min_value=1, max_value=2**31 - 1),
        "total": amounts,
        "category_ids": st.lists(identifiers, max_size=3),
    },
)
orders = st.fixed_dictionaries(
    {"external_id": identifiers, "status": statuses, "currency": currencies, "total": amounts},
    optional={
        "number": free_text,
        "subtotal": amounts,
        "discount_total": amounts,
        "shipping_total": amounts,
        "tax_total": amounts,
        "credit_used": amounts,
        "coupon_codes": st.lists(identifiers, max_size=3),
        "items": st.lists(items, max_size=3),
        "billing": customers,
        "customer": customers,
        "created_at": moments,
        "completed_at": moments,
    },
)
refunds = st.fixed_dictionaries(
    {"order_external_id": identifiers, "refund_id": identifiers, "amount": amounts, "currency": currencies},
    optional={"reason": free_text},
)
payments = st.fixed_dictionaries(
    {
        "order_external_id": identifiers,
        "transaction_id": identifiers,
        "amount": amounts,
        "currency": currencies,
    },
    optional={"method": free_text, "paid_at": moments},
)
DATA_OF_TYPE: Final = {
    "customer.created": customers,
    "customer.updated": customers,
    "order.created": orders,
    "order.updated": orders,
    "order.refunded": refunds,
    "payment.completed": payments,
}


def edge_events(event_id: str) -> st.SearchStrategy[dict[str, Any]]:
    """Events of every type that pass (or only just fail) validation, with every field at its edges:
    any script, the longest lengths, the largest amounts, times from year 1 to 9999 in any zone."""
    return st.sampled_from(sorted(DATA_OF_TYPE)).flatmap(
        lambda kind: st.fixed_dictionaries(
            {
                "id": st.just(event_id),
                "type": st.just(kind),
                "occurred_at": moments,
                "data": DATA_OF_TYPE[kind],
            }
        )
    )
