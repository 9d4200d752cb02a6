"""The WooCommerce plugin against a real Revisit server: nothing lost, nothing twice.

Everything on the way is real: WordPress 6.5.5 with WooCommerce 9.4.3 on MariaDB, the plugin active,
orders stored in WooCommerce's own tables (HPOS) or in posts (each test runs with both, compatibility
mode off), Action Scheduler running the background work from WP-Cron's queue run; PHP processes play
the shoppers' requests and the background runs (plugin/tests/e2e/*.php); ``revisit api`` is started
by the test as a subprocess over the test PostgreSQL and Redis, and its real worker processes what
arrived. The plugin talks to it over HTTP with the store key a factory made.

What the live-trading test proves, order by order against Revisit's database:

- orders made in WordPress (guests with Persian and Arabic-Indic digit phones, Digits sign-ups,
  paid, shipped, on-hold, failed) arrive in Revisit through the plugin's queue and sender;
- while Revisit is stopped the store keeps trading (new orders, a completion, a full and a partial
  refund, a cancellation, a profile change): the sender fails, keeps every event queued and backs
  off (1, then 2 minutes), and does not try before its time;
- after Revisit is restarted (a new process, same database) a batch whose answer is lost on the way
  back is stored by Revisit but stays queued in the plugin; the next run resends it and Revisit
  answers "duplicate" for exactly those events;
- once the worker has processed the events, Revisit holds every WordPress order exactly once with
  the store's status, total, currency, refunds and payments, every ingested event once, exactly the
  events the plugin queued, and the plugin has nothing pending.

The backfill test proves that a store which traded before it was connected (orders changed several
times, refunds made at various times, some older than their order's last change) sends its whole
history on connection, and Revisit ends with every order and every refund once, with the store's
amounts, nothing left waiting or failed.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import unicodedata
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from arq.connections import ArqRedis

from domain.commerce.models import Order, Payment, Refund
from domain.customers.models import Customer
from domain.events.models import IngestedEvent
from revisit.services import ServiceUrls
from revisit.settings import Settings
from tests.support.factories import TEST_SECRET, make_owner, make_store_key
from tests.support.live_revisit import AnswerDroppingProxy, RevisitServer
from tests.support.woocommerce import (
    HPOS_MODES,
    INSTALL_HINT,
    PLUGIN_TESTS,
    ROOT,
    missing_for_plugin_tests,
    site_database_name,
)
from tests.support.worker import drain_queue

PLUGIN_DIR = ROOT / "plugin" / "revisit-woocommerce"
SCRIPTS = PLUGIN_TESTS / "e2e"
BATCH = 10
"""Events per request to Revisit (the plugin's revisit_batch_size filter): every send takes several."""
ORDERS_PER_ROUND = 15
HISTORY_ORDERS = 16
"""Orders the backfill test's store made before it was connected (four of each kind in history.php)."""

# CI sets REVISIT_REQUIRE_ALL_TESTS so a missing tool fails the run instead of skipping it (the
# same rule as tests/plugin/test_plugin_phpunit.py).
MISSING = missing_for_plugin_tests(phpunit=False)
pytestmark = pytest.mark.skipif(
    bool(MISSING) and not os.environ.get("REVISIT_REQUIRE_ALL_TESTS"),
    reason=f"the plugin's end-to-end test needs {', '.join(MISSING)} ({INSTALL_HINT})",
)


class WordPress:
    """One test store (WordPress, WooCommerce with the chosen order storage, the plugin) and the
    scripts that drive it; its database is its own and is dropped by ``drop()``."""

    def __init__(self, work: Path, server: RevisitServer, hpos: str) -> None:
        self.work = work
        self.server = server
        self.hpos = hpos
        self.config = self.work / "wp-config.php"
        self.php_log = self.work / "php-errors.log"
        self.env = {
            **os.environ,
            "REVISIT_WC_HPOS": hpos,
            "REVISIT_WP_DB_NAME": site_database_name("e2e", hpos),
            "REVISIT_WP_CONFIG": str(self.config),
            "REVISIT_E2E_PHP_LOG": str(self.php_log),
        }

    def install(self) -> None:
        """The site's files (bin/make-site.sh), then a fresh database, WordPress and both plugins
        activated (bin/install.php), as run.sh does."""
        self._command(["bash", str(PLUGIN_TESTS / "bin" / "make-site.sh"), str(self.work)])
        self._command(["php", str(PLUGIN_TESTS / "bin" / "install.php")])

    def drop(self) -> None:
        """Drop the site's database."""
        subprocess.run(
            ["php", str(PLUGIN_TESTS / "bin" / "drop-database.php")], env=self.env, timeout=60, check=False
        )

    def script(self, name: str, *args: str, api_url: str | None = None) -> dict[str, Any]:
        """Run plugin/tests/e2e/<name> with the plugin pointed at ``api_url`` (default: the server)."""
        output = self._command(["php", str(SCRIPTS / name), *args], api_url=api_url or self.server.base_url)
        answer: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
        return answer

    def plugin_problems(self) -> list[str]:
        """PHP errors, warnings, notices and deprecations raised in the plugin's own files."""
        if not self.php_log.exists():
            return []
        return [
            line for line in self.php_log.read_text(errors="replace").splitlines() if str(PLUGIN_DIR) in line
        ]

    def _command(self, command: list[str], api_url: str | None = None) -> str:
        env = {**self.env, "REVISIT_E2E_API_URL": api_url or ""}
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
        if result.returncode != 0:
            log = self.php_log.read_text(errors="replace")[-3000:] if self.php_log.exists() else ""
            raise AssertionError(
                f"{' '.join(command)} exited with {result.returncode}\n"
                f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-3000:]}\nPHP log:\n{log}\n"
                f"Revisit log:\n{self.server.log_tail()}"
            )
        return result.stdout


@pytest.fixture
def revisit_server(service_urls: ServiceUrls, tmp_path: Path) -> Iterator[RevisitServer]:
    """A real ``revisit api`` process over the test database and Redis; stopped whatever happens."""
    with RevisitServer(service_urls, secret_key=TEST_SECRET, log_dir=tmp_path) as server:
        yield server


@pytest.fixture(params=HPOS_MODES, ids=["hpos", "posts"])
def wordpress(
    request: pytest.FixtureRequest, revisit_server: RevisitServer, tmp_path: Path
) -> Iterator[WordPress]:
    """The test store, orders in WooCommerce's tables (hpos) or in posts; its database dropped afterwards."""
    site = WordPress(work=tmp_path / "wordpress", server=revisit_server, hpos=request.param)
    try:
        yield site
    finally:
        site.drop()


def e164(typed: str) -> str:
    """An Iranian mobile number as typed (any digits, any separators) in E.164, as Revisit keeps it."""
    digits = "".join(str(unicodedata.decimal(character)) for character in typed if character.isdecimal())
    return "+98" + digits[1:] if digits.startswith("0") else "+" + digits


def answers(accepted: int = 0, duplicate: int = 0, rejected: int = 0) -> dict[str, int]:
    return {"accepted": accepted, "duplicate": duplicate, "rejected": rejected}


async def test_orders_reach_a_real_revisit_once_through_an_outage_and_a_lost_answer(
    db: None,
    redis: ArqRedis,
    settings: Settings,
    service_urls: ServiceUrls,
    revisit_server: RevisitServer,
    wordpress: WordPress,
) -> None:
    """WordPress orders → plugin queue → real Revisit (stopped, restarted, an answer lost) → same orders."""
    # given: a store owner with a store key, a real Revisit server, and a WordPress with the plugin
    owner = await make_owner(store="چای ایرانی", currency="IRT")
    store_key = await make_store_key(owner, name="woocommerce plugin")
    await asyncio.gather(asyncio.to_thread(revisit_server.start), asyncio.to_thread(wordpress.install))

    # when: the owner saves the key in the plugin's settings and tests the connection
    connected = await asyncio.to_thread(wordpress.script, "connect.php", store_key)

    # then: the plugin reached Revisit with the key and knows the store; nothing is queued yet
    assert connected["notice"] == "connected", connected
    assert connected["connection"]["store"]["name"] == "چای ایرانی"
    assert connected["connection"]["store"]["currency"] == "IRT"
    assert connected["queue"]["total"] == 0

    # when: shoppers place orders, and the background sender runs
    first = await asyncio.to_thread(wordpress.script, "orders.php", f"--count={ORDERS_PER_ROUND}")
    sent = await asyncio.to_thread(wordpress.script, "send.php", f"--batch-size={BATCH}")

    # then: Revisit accepted every queued event, in batches, and the plugin has nothing pending
    queued_first = first["queued"]
    assert len(first["created"]) == ORDERS_PER_ROUND
    assert queued_first > ORDERS_PER_ROUND  # orders, customers, payments
    assert [run["outcome"] for run in sent["runs"]] == ["ok"]
    assert sent["runs"][0]["batches"] == -(-queued_first // BATCH)
    assert sent["answers"] == answers(accepted=queued_first)
    assert sent["queue"] == {"pending": 0, "sent": queued_first, "rejected": 0, "total": queued_first}
    assert sent["next_run_in"] is None

    # when: Revisit stops; the store keeps trading and works on earlier orders; the sender runs
    await asyncio.to_thread(revisit_server.stop)
    second = await asyncio.to_thread(
        wordpress.script, "orders.php", f"--count={ORDERS_PER_ROUND}", "--update-earlier"
    )
    down = await asyncio.to_thread(wordpress.script, "send.php", f"--batch-size={BATCH}")

    # then: the first batch failed with no answer; everything stays queued; the retry is in ~1 minute
    queued_second = second["queued"]
    assert set(second["updated"]) == {
        "completed",
        "fully_refunded",
        "partially_refunded",
        "cancelled",
        "customer_renamed",
    }
    assert down["runs"] == [{"batches": 1, "sent": 0, "rejected": 0, "outcome": "failed"}]
    assert down["state"]["failures"] == 1
    assert down["state"]["last_error"].startswith("no answer: "), down["state"]
    assert "connect" in down["state"]["last_error"].lower(), down["state"]
    assert 40 <= down["retry_in"] <= 60, down
    assert down["next_run_in"] is not None and abs(down["next_run_in"] - down["retry_in"]) <= 1, down
    assert down["queue"] == {
        "pending": queued_second,
        "sent": queued_first,
        "rejected": 0,
        "total": queued_first + queued_second,
    }
    assert down["pending"]["max_attempts"] == 1 and down["pending"]["min_attempts"] == 0

    # when: the background runner comes round before the retry time, then after it (still down)
    early = await asyncio.to_thread(wordpress.script, "send.php", f"--batch-size={BATCH}")
    later = await asyncio.to_thread(wordpress.script, "send.php", "--time-passes", f"--batch-size={BATCH}")

    # then: no attempt before its time; after it, one more failure and a longer wait (~2 minutes)
    assert early["runs"] == [] and early["state"]["failures"] == 1
    assert later["runs"] == [{"batches": 1, "sent": 0, "rejected": 0, "outcome": "failed"}]
    assert later["state"]["failures"] == 2
    assert 90 <= later["retry_in"] <= 120, later
    assert later["queue"]["pending"] == queued_second and later["queue"]["rejected"] == 0

    # when: Revisit is started again (a new process, same database), and the next batch's answer
    # is lost on the way back to the store
    await asyncio.to_thread(revisit_server.start)
    assert len(set(revisit_server.pids)) == 2
    with AnswerDroppingProxy(revisit_server.port) as proxy:
        lost = await asyncio.to_thread(
            wordpress.script, "send.php", "--time-passes", f"--batch-size={BATCH}", api_url=proxy.base_url
        )
        dropped = proxy.dropped()

    # then: Revisit stored that batch, but the plugin saw no answer and keeps all of it queued
    assert len(dropped) == 1
    status, body = dropped[0]
    stored_unseen = json.loads(body)
    assert (status, stored_unseen["accepted"], stored_unseen["duplicates"]) == (202, BATCH, 0)
    assert lost["runs"] == [{"batches": 1, "sent": 0, "rejected": 0, "outcome": "failed"}]
    assert lost["state"]["failures"] == 3
    assert lost["queue"]["pending"] == queued_second
    assert await IngestedEvent.filter(tenant_id=owner.tenant.id).count() == queued_first + BATCH

    # when: the next run reaches Revisit directly
    back = await asyncio.to_thread(wordpress.script, "send.php", "--time-passes", f"--batch-size={BATCH}")

    # then: the lost batch comes back as duplicates, the rest is accepted, nothing is pending
    assert [run["outcome"] for run in back["runs"]] == ["ok"]
    assert back["answers"] == answers(accepted=queued_second - BATCH, duplicate=BATCH)
    total = queued_first + queued_second
    assert back["queue"] == {"pending": 0, "sent": total, "rejected": 0, "total": total}
    assert back["state"]["failures"] == 0 and back["next_run_in"] is None

    # when: Revisit's real worker processes what arrived (the API queued one wake-up per second it
    # received events in; arq runs those jobs side by side)
    await drain_queue(settings, service_urls)
    store = await asyncio.to_thread(wordpress.script, "dump.php")

    # then: every queued event is in Revisit exactly once, and processed
    tenant_id = owner.tenant.id
    events = await IngestedEvent.filter(tenant_id=tenant_id).values("source", "event_id", "status", "error")
    per_key = Counter((event["source"], event["event_id"]) for event in events)
    assert [key for key, count in per_key.items() if count > 1] == []
    queued_ids = [row["event_id"] for row in store["queue"]]
    assert len(queued_ids) == total == len(events)
    assert sorted(queued_ids) == sorted(event["event_id"] for event in events)
    assert {row["status"] for row in store["queue"]} == {"sent"}
    assert {(event["source"], event["status"], event["error"]) for event in events} == {
        ("api", "processed", None)
    }

    # then: every WordPress order is in Revisit once, with its status, total, currency and refunds
    wp_orders = {str(order["id"]): order for order in store["orders"]}
    assert len(wp_orders) == 2 * ORDERS_PER_ROUND
    revisit_orders = await Order.filter(tenant_id=tenant_id).prefetch_related("customer")
    assert len(revisit_orders) == len({order.external_id for order in revisit_orders}) == len(wp_orders)
    assert store["currency"] == "IRT"
    expected = {
        order_id: (
            order["status"],
            int(Decimal(order["total"])),
            order["currency"],
            sum(int(Decimal(refund["amount"])) for refund in order["refunds"]),
        )
        for order_id, order in wp_orders.items()
    }
    actual = {
        order.external_id: (order.status, order.total, order.currency, order.refunded_total)
        for order in revisit_orders
    }
    assert actual == expected
    assert {status for status, *_ in expected.values()} == {
        "pending",
        "processing",
        "completed",
        "on-hold",
        "failed",
        "refunded",
        "cancelled",
    }

    # then: the customers are the store's: guests by their phone (typed in Persian or Arabic-Indic
    # digits), Digits sign-ups by their account and Digits phone; the renamed one by their new name
    wp_customers = {str(customer["id"]): customer for customer in store["customers"]}
    for order in revisit_orders:
        wp_order = wp_orders[order.external_id]
        customer = order.customer
        assert customer is not None, order.external_id
        if wp_order["customer_id"]:
            account = wp_customers[str(wp_order["customer_id"])]
            assert (customer.external_id, customer.phone) == (str(account["id"]), account["digits_phone"])
        else:
            assert not wp_order["billing_phone"].isascii()
            assert customer.phone == e164(wp_order["billing_phone"]), wp_order
    assert await Customer.filter(tenant_id=tenant_id, external_id__isnull=False).count() == len(wp_customers)
    renamed = wp_customers[str(second["updated"]["customer_renamed"])]
    assert renamed["first_name"] == "مریم‌السادات"
    renamed_in_revisit = await Customer.get(tenant_id=tenant_id, external_id=str(renamed["id"]))
    assert renamed_in_revisit.first_name == renamed["first_name"]

    # then: refunds and payments match the store's, one for one
    refunds = await Refund.filter(tenant_id=tenant_id).values_list(
        "external_id", "amount", "order__external_id"
    )
    assert sorted(refunds) == sorted(
        (str(refund["id"]), int(Decimal(refund["amount"])), order_id)
        for order_id, order in wp_orders.items()
        for refund in order["refunds"]
    )
    assert len(refunds) == 2
    payments = await Payment.filter(tenant_id=tenant_id).values_list(
        "external_id", "amount", "order__external_id"
    )
    assert sorted(payments) == sorted(
        (order["transaction_id"], int(Decimal(order["total"])), order_id)
        for order_id, order in wp_orders.items()
        if order["paid"]
    )

    # then: the plugin's own code raised no PHP error, warning, notice or deprecation on the way
    assert wordpress.plugin_problems() == []


async def test_a_store_connected_after_trading_sends_every_order_and_refund_once_in_its_backfill(
    db: None,
    redis: ArqRedis,
    settings: Settings,
    service_urls: ServiceUrls,
    revisit_server: RevisitServer,
    wordpress: WordPress,
) -> None:
    """Orders and refunds made before connecting → backfill on connection → real Revisit holds each once,
    with the store's status, total and refunded amount, even where a refund is older than its order's
    last change (nothing waits or fails)."""
    # given: a store that has traded for weeks before installing Revisit's key: orders paid,
    # completed, cancelled, refunded in part or in full, some refunds older than the order's last
    # change; and a store owner with a store key on a real Revisit
    owner = await make_owner(store="زعفران قائنات", currency="IRT")
    store_key = await make_store_key(owner, name="woocommerce plugin")
    await asyncio.gather(asyncio.to_thread(revisit_server.start), asyncio.to_thread(wordpress.install))
    history = await asyncio.to_thread(wordpress.script, "history.php", f"--orders={HISTORY_ORDERS}")
    assert len(history["orders"]) == HISTORY_ORDERS
    assert history["refunds"] == HISTORY_ORDERS // 4 * 4  # two kinds with one refund, one with two
    assert history["refunds_before_last_change"] >= HISTORY_ORDERS // 4
    assert history["queue"]["total"] == 0, "nothing is queued while the plugin has no key"

    # when: the owner saves the key and tests the connection; the store's background runs do the
    # backfill it starts, and send what it queued
    connected = await asyncio.to_thread(wordpress.script, "connect.php", store_key)
    rest = await asyncio.to_thread(wordpress.script, "send.php")

    # then: the backfill is done and every queued event was accepted; nothing is pending
    assert connected["notice"] == "connected", connected
    assert connected["backfill"]["status"] == "done", connected["backfill"]
    assert connected["sends"], "the background runs sent the backfill"
    assert {send["outcome"] for send in connected["sends"] + rest["runs"]} == {"ok"}
    assert rest["queue"]["pending"] == 0 and rest["queue"]["rejected"] == 0, rest["queue"]
    queued = rest["queue"]["total"]

    # when: Revisit's real worker processes what arrived
    await drain_queue(settings, service_urls)
    store = await asyncio.to_thread(wordpress.script, "dump.php")

    # then: every event the plugin queued is in Revisit once and processed, none waiting or failed
    tenant_id = owner.tenant.id
    events = await IngestedEvent.filter(tenant_id=tenant_id).values("event_id", "type", "status", "error")
    assert len(events) == queued == len({event["event_id"] for event in events})
    assert sorted(row["event_id"] for row in store["queue"]) == sorted(event["event_id"] for event in events)
    assert [event for event in events if event["status"] != "processed"] == []
    assert Counter(event["type"] for event in events)["order.refunded"] == history["refunds"]

    # then: every order once, with the store's status, total, currency and refunded amount
    wp_orders = {str(order["id"]): order for order in store["orders"]}
    assert sorted(wp_orders) == sorted(str(order_id) for order_id in history["orders"])
    revisit_orders = await Order.filter(tenant_id=tenant_id)
    assert sorted(order.external_id for order in revisit_orders) == sorted(wp_orders)
    assert {
        order.external_id: (order.status, order.total, order.currency, order.refunded_total)
        for order in revisit_orders
    } == {
        order_id: (
            order["status"],
            int(Decimal(order["total"])),
            order["currency"],
            sum(int(Decimal(refund["amount"])) for refund in order["refunds"]),
        )
        for order_id, order in wp_orders.items()
    }
    assert {order["status"] for order in wp_orders.values()} == {"completed", "refunded", "cancelled"}

    # then: every refund once, with its amount, on its order
    refunds = await Refund.filter(tenant_id=tenant_id).values_list(
        "external_id", "amount", "order__external_id"
    )
    assert sorted(refunds) == sorted(
        (str(refund["id"]), int(Decimal(refund["amount"])), order_id)
        for order_id, order in wp_orders.items()
        for refund in order["refunds"]
    )
    assert len(refunds) == history["refunds"]

    # then: the customer accounts are Revisit's customers; the plugin raised no PHP problem
    accounts = {str(customer["id"]) for customer in store["customers"]}
    assert (
        set(
            await Customer.filter(tenant_id=tenant_id, external_id__isnull=False).values_list(
                "external_id", flat=True
            )
        )
        == accounts
    )
    assert wordpress.plugin_problems() == []
