"""The Zarinpal adapter against a real local server speaking Zarinpal's v4 protocol: request, StartPay,
verify, and every documented error code mapped to its outcome."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from domain.payments.gateway import GatewayError
from domain.payments.zarinpal import OUTCOMES, ZarinpalGateway
from tests.support.zarinpal_server import ZarinpalServer

CALLBACK = "https://revisit.example/rest/v1/payments/zarinpal/callback/0f0e"


@pytest.fixture
def zarinpal() -> Iterator[ZarinpalServer]:
    with ZarinpalServer() as server:
        yield server


@pytest.fixture
async def gateway(zarinpal: ZarinpalServer) -> AsyncIterator[ZarinpalGateway]:
    adapter = ZarinpalGateway(zarinpal.merchant_id, base_url=zarinpal.base_url, timeout=2.0)
    yield adapter
    await adapter.aclose()


async def start(gateway: ZarinpalGateway, amount: int = 500_000) -> str:
    started = await gateway.request_payment(
        amount=amount, callback_url=CALLBACK, description="شارژ کیف پول", order_id="top-up-1"
    )
    return started.authority


async def test_a_request_sends_rials_explicitly_and_answers_the_start_pay_url(
    zarinpal: ZarinpalServer, gateway: ZarinpalGateway
) -> None:
    """The request carries merchant_id, the amount in IRR with currency IRR, the description, the callback
    and the order id; the answer's authority leads to StartPay under the configured base URL."""
    # given / when
    started = await gateway.request_payment(
        amount=500_000, callback_url=CALLBACK, description="شارژ", order_id="top-up-1", email="a@b.ir"
    )
    # then
    assert started.authority.startswith("A") and len(started.authority) == 36
    assert started.payment_url == f"{zarinpal.base_url}/pg/StartPay/{started.authority}"
    assert zarinpal.requests == [
        {
            "merchant_id": zarinpal.merchant_id,
            "amount": 500_000,
            "currency": "IRR",
            "description": "شارژ",
            "callback_url": CALLBACK,
            "metadata": {"order_id": "top-up-1", "email": "a@b.ir"},
        }
    ]


async def test_a_paid_authority_verifies_once_with_100_and_then_with_101(
    zarinpal: ZarinpalServer, gateway: ZarinpalGateway
) -> None:
    """The first verify of a paid authority is 100 with ref_id and the masked card; every later one is 101
    with the same ref_id (already=True), as Zarinpal answers repeated verifies."""
    # given
    authority = await start(gateway)
    callback = zarinpal.pay(authority)
    # when
    first = await gateway.verify(authority=authority, amount=500_000)
    again = await gateway.verify(authority=authority, amount=500_000)
    # then
    assert parse_qs(urlsplit(callback).query) == {"Authority": [authority], "Status": ["OK"]}
    assert (first.already, again.already) == (False, True)
    assert first.ref_id == again.ref_id and first.ref_id.isdigit()
    assert first.card_mask == "502229******5995"


@pytest.mark.parametrize(
    ("setup", "outcome", "code"),
    [
        ("unpaid", "not_paid", -51),
        ("given_up", "not_paid", -51),
        ("wrong_amount", "amount_mismatch", -50),
        ("unknown_authority", "invalid_authority", -54),
        ("other_merchant", "invalid_authority", -53),
    ],
)
async def test_a_verify_the_gateway_refuses_names_a_final_outcome(
    zarinpal: ZarinpalServer, gateway: ZarinpalGateway, setup: str, outcome: str, code: int
) -> None:
    """Not paid (never paid, given up), a different amount, an authority never issued or another
    merchant's: each is the documented code and a final outcome, so the top-up can fail for good."""
    # given
    authority = await start(gateway)
    amount = 500_000
    if setup == "given_up":
        zarinpal.give_up(authority)
    if setup == "wrong_amount":
        zarinpal.pay(authority)
        amount = 400_000
    if setup == "unknown_authority":
        authority = "A" + "9" * 35
    if setup == "other_merchant":
        zarinpal.pay(authority)
        other = "2344b5d4-0048-11e8-94db-005056a205be"
        zarinpal.merchants.add(other)
        gateway = ZarinpalGateway(other, base_url=zarinpal.base_url)
    # when
    with pytest.raises(GatewayError) as refused:
        await gateway.verify(authority=authority, amount=amount)
    # then
    assert (refused.value.outcome, refused.value.code, refused.value.final) == (outcome, code, True)


@pytest.mark.parametrize("code", sorted(OUTCOMES))
async def test_every_documented_error_code_maps_to_its_outcome(
    zarinpal: ZarinpalServer, gateway: ZarinpalGateway, code: int
) -> None:
    """Each documented code in Zarinpal's error envelope becomes the outcome the table names, on request
    and on verify alike; only not-paid, amount and authority problems are final."""
    # given
    zarinpal.fail_next(code, method="request")
    authority = "A" + "0" * 35
    # when
    with pytest.raises(GatewayError) as on_request:
        await start(gateway)
    zarinpal.fail_next(code, method="verify")
    with pytest.raises(GatewayError) as on_verify:
        await gateway.verify(authority=authority, amount=500_000)
    # then
    for refused in (on_request.value, on_verify.value):
        assert (refused.code, refused.outcome) == (code, OUTCOMES[code])
        assert refused.final == (OUTCOMES[code] in {"not_paid", "amount_mismatch", "invalid_authority"})


@pytest.mark.parametrize(
    ("amount", "description"), [(9_999, "شارژ"), (1_000_000_001, "شارژ"), (500_000, "  ")]
)
async def test_amounts_outside_zarinpals_limits_and_an_empty_description_are_validation_errors(
    gateway: ZarinpalGateway, amount: int, description: str
) -> None:
    """Below 10,000 or above 1,000,000,000 rials, or a blank description: -9, invalid_request (not final)."""
    # when
    with pytest.raises(GatewayError) as refused:
        await gateway.request_payment(
            amount=amount, callback_url=CALLBACK, description=description, order_id="x"
        )
    # then
    assert (refused.value.code, refused.value.outcome, refused.value.final) == (-9, "invalid_request", False)


async def test_an_unknown_merchant_is_refused_as_the_merchants_problem(zarinpal: ZarinpalServer) -> None:
    """A merchant id Zarinpal does not know is -10; one it knows but has deactivated is -11."""
    # given
    unknown = ZarinpalGateway("9" * 8 + "-0048-11e8-94db-005056a205be", base_url=zarinpal.base_url)
    zarinpal.inactive.add(zarinpal.merchant_id)
    inactive = ZarinpalGateway(zarinpal.merchant_id, base_url=zarinpal.base_url)
    # when
    with pytest.raises(GatewayError) as first:
        await start(unknown)
    with pytest.raises(GatewayError) as second:
        await start(inactive)
    # then
    assert (first.value.code, first.value.outcome) == (-10, "merchant_rejected")
    assert (second.value.code, second.value.outcome) == (-11, "merchant_rejected")


async def test_an_html_error_page_and_a_slow_gateway_are_unavailable_never_final(
    zarinpal: ZarinpalServer, gateway: ZarinpalGateway
) -> None:
    """A 500 HTML page (a proxy in front of Zarinpal) or no answer within the timeout leave the payment
    to be verified again: outcome unavailable, not final."""
    # given
    authority = await start(gateway)
    zarinpal.pay(authority)
    zarinpal.fail_next(500)
    slow = ZarinpalGateway(zarinpal.merchant_id, base_url=zarinpal.base_url, timeout=0.2)
    # when
    with pytest.raises(GatewayError) as html_page:
        await gateway.verify(authority=authority, amount=500_000)
    zarinpal.stall_next(1.0)
    with pytest.raises(GatewayError) as timed_out:
        await slow.verify(authority=authority, amount=500_000)
    verified = await gateway.verify(authority=authority, amount=500_000)
    # then
    assert (html_page.value.outcome, html_page.value.final) == ("unavailable", False)
    assert (timed_out.value.outcome, timed_out.value.final) == ("unavailable", False)
    assert verified.ref_id


async def test_a_gateway_that_is_not_listening_is_unavailable() -> None:
    """Connection refused: unavailable, with no detail of the request in the message."""
    # given
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gateway = ZarinpalGateway("1344b5d4-0048-11e8-94db-005056a205be", base_url=f"http://127.0.0.1:{port}")
    # when
    with pytest.raises(GatewayError) as refused:
        await gateway.verify(authority="A" + "0" * 35, amount=500_000)
    # then
    assert refused.value.outcome == "unavailable"
    assert "1344b5d4" not in refused.value.message


async def test_the_start_pay_page_sends_the_browser_back_with_authority_and_status(
    zarinpal: ZarinpalServer, gateway: ZarinpalGateway
) -> None:
    """GET StartPay?pay=NOK redirects to the callback with Status=NOK, as Zarinpal sends a payer back."""
    import httpx

    # given
    authority = await start(gateway)
    # when
    async with httpx.AsyncClient() as browser:
        page = await browser.get(gateway.start_pay_url(authority))
        back = await browser.get(gateway.start_pay_url(authority), params={"pay": "NOK"})
    # then
    assert page.status_code == 200 and "ریال" in page.text
    assert back.status_code == 302
    assert parse_qs(urlsplit(back.headers["location"]).query) == {"Authority": [authority], "Status": ["NOK"]}
