"""The bodies of the checkout routes, as the plugin sends and reads them.

Requests are validated with these models before their GraphQL document runs, and the OpenAPI
description is generated from them. Amounts are decimal strings in major units of the store's
currency, as in store events; JSON numbers are accepted too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from domain.coupons.validation import REASONS
from domain.events.schema import Currency, CustomerExternalId, Email, ExternalId, RawPhone

AmountText = Annotated[str, StringConstraints(min_length=1, max_length=40)]
AMOUNT = "A decimal string in major units of the store's currency."


class _Request(BaseModel):
    """Ids and amounts may arrive as numbers; whitespace is trimmed; unknown keys are ignored."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True, str_strip_whitespace=True)


class CustomerRef(_Request):
    """Who is at the checkout. Revisit recognises a customer by `external_id`, else by phone, else by
    e-mail, so send at least one; it never creates a customer here."""

    external_id: CustomerExternalId = Field(
        default=None,
        description="The store's customer id; leave it out (or send `0`) for a guest.",
        examples=["57"],
    )
    phone: RawPhone = Field(
        default=None, description="The phone as the customer typed it.", examples=["09121234567"]
    )
    email: Email = Field(default=None, examples=["sara@example.com"])


class CreditQuoteRequest(_Request):
    """A cart at the checkout."""

    customer: CustomerRef
    cart_total: AmountText = Field(description=f"The cart's total. {AMOUNT}", examples=["1250000"])
    currency: Currency = Field(description="The store's currency.", examples=["IRT"])


class CreditHoldRequest(_Request):
    """Credit the checkout spends on an order being placed."""

    order_external_id: ExternalId = Field(description="The store's id of the order.", examples=["1042"])
    customer: CustomerRef
    amount: AmountText = Field(description=f"How much credit to hold. {AMOUNT}", examples=["50000"])
    currency: Currency = Field(description="The store's currency.", examples=["IRT"])


class CreditReleaseRequest(_Request):
    """An order whose held credit goes back to the customer."""

    order_external_id: ExternalId = Field(description="The store's id of the order.", examples=["1042"])


class CartLine(_Request):
    """One line of the cart, for coupons limited to some products or categories."""

    product_id: ExternalId = Field(description="The store's product id.", examples=["101"])
    total: AmountText = Field(description=f"The line's total. {AMOUNT}", examples=["600000"])
    category_ids: list[ExternalId] = Field(
        default_factory=list,
        max_length=50,
        description="The product's categories, at most 50.",
        examples=[["12"]],
    )


class CouponCheckRequest(_Request):
    """A coupon code the store does not know itself, and the cart it would apply to."""

    code: str = Field(
        max_length=64, description="The code as the customer typed it, 1 to 64 characters.", examples=["ABC"]
    )
    customer: CustomerRef
    cart_total: AmountText = Field(
        description=f"The cart's total, what a minimum is compared with. {AMOUNT}", examples=["1250000"]
    )
    currency: Currency = Field(description="The store's currency.", examples=["IRT"])
    lines: list[CartLine] = Field(
        default_factory=list,
        max_length=500,
        description="The cart's lines (at most 500); needed for codes limited to some products.",
    )
    shipping_total: AmountText | None = Field(
        default=None,
        description=f"The cart's shipping, for free-shipping codes. {AMOUNT}",
        examples=["50000"],
    )


class StoreDetails(BaseModel):
    """The store a key belongs to."""

    id: str = Field(examples=["0b9f3c1e-3f8e-4a53-9c55-2b3b2c1d4e5f"])
    name: str = Field(examples=["چای‌خانه"])
    currency: str = Field(examples=["IRT"])
    timezone: str = Field(examples=["Asia/Tehran"])


class ConnectionAnswer(BaseModel):
    """The key works: this is its store."""

    store: StoreDetails


class CreditQuoteAnswer(BaseModel):
    """What the customer could spend on the cart. An unknown customer is not found and has nothing."""

    customer_found: bool
    available: str = Field(description=f"Spendable now. {AMOUNT}", examples=["120000"])
    max_usable: str = Field(
        description=f"The available credit, at most the cart total. {AMOUNT}", examples=["120000"]
    )
    currency: str = Field(examples=["IRT"])


class CreditHoldAnswer(BaseModel):
    """The credit the order holds, and what the customer can still spend."""

    order_external_id: str = Field(examples=["1042"])
    held: str = Field(description=AMOUNT, examples=["50000"])
    available: str = Field(description=AMOUNT, examples=["70000"])
    currency: str = Field(examples=["IRT"])


class CreditReleaseAnswer(BaseModel):
    """What this call gave back (0 when nothing was held), and what the customer can spend now."""

    order_external_id: str = Field(examples=["1042"])
    released: str = Field(description=AMOUNT, examples=["50000"])
    available: str = Field(description=f"{AMOUNT} 0 when the order held nothing.", examples=["120000"])
    currency: str = Field(examples=["IRT"])


class CouponCheckAnswer(BaseModel):
    """Whether the checkout may apply the code. A valid answer says what it gives and what it takes off
    this cart; an invalid one says why not (`reason`) and carries no discount fields."""

    valid: bool
    code: str = Field(examples=["ABC"])
    reason: str | None = Field(
        default=None,
        description="Why not, for machines: " + ", ".join(REASONS) + ".",
        examples=["unknown_code"],
    )
    message: str = Field(description="For the customer.", examples=["This code is not known."])
    discount_type: Literal["percent", "fixed_cart"] | None = Field(
        default=None,
        description="As WooCommerce names it: percent, or fixed_cart (fixed amounts and free shipping).",
        examples=["percent"],
    )
    amount: str | None = Field(
        default=None,
        description=f"The percent, or the fixed amount ({AMOUNT}); 0 for free shipping.",
        examples=["15"],
    )
    discount: str | None = Field(
        default=None,
        description=f"What the code takes off this cart, maximum applied. {AMOUNT}",
        examples=["187500"],
    )
    free_shipping: bool | None = Field(default=None, description="Whether the order's shipping is free.")
    expires_at: datetime | None = Field(default=None, description="When the code stops working.")


class ErrorDetail(BaseModel):
    code: str = Field(examples=["INSUFFICIENT_CREDIT"])
    message: str


class InsufficientCreditAnswer(BaseModel):
    """The customer's available credit does not cover the hold; nothing was taken."""

    error: ErrorDetail
    available: str = Field(description=f"What the customer can spend. {AMOUNT}", examples=["30000"])
