"""The sms.ir adapter against a real local server speaking sms.ir's REST v1 protocol."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from domain.messaging.providers import (
    OutcomeUnknownError,
    PermanentSendError,
    ProviderOutOfCreditError,
    RetryableSendError,
    SendResult,
    SmsProvider,
)
from domain.messaging.smsir import SmsirProvider, national
from tests.support.smsir_server import DEFAULT_LINE, FIRST_MESSAGE_ID, SmsirServer, running_smsir

API_KEY = "smsir-test-key-0123456789"
PHONE = "+989121234567"


@pytest.fixture
async def smsir() -> AsyncIterator[SmsirServer]:
    async with running_smsir(api_key=API_KEY) as server:
        yield server


@pytest.fixture
async def provider(smsir: SmsirServer) -> AsyncIterator[SmsirProvider]:
    async with SmsirProvider(API_KEY, line=DEFAULT_LINE, base_url=smsir.base_url, timeout=0.5) as adapter:
        yield adapter


async def send(provider: SmsProvider, text: str = "سلام سارا") -> SendResult:
    return await provider.send(receptor=PHONE, message=text, sender=None, local_id="msg-1")


async def test_sending_posts_the_documented_json_and_returns_the_message_id(
    smsir: SmsirServer, provider: SmsirProvider
) -> None:
    """Proves send/bulk gets the line, the text and the national mobile, and messageIds[0] comes back."""
    # when
    result = await send(provider)
    # then
    assert result == SendResult(str(FIRST_MESSAGE_ID), "queued")
    assert smsir.sent[0]["mobile"] == 9121234567 and smsir.sent[0]["lineNumber"] == int(DEFAULT_LINE)
    assert smsir.sent[0]["messageText"] == "سلام سارا"


@pytest.mark.parametrize(
    ("http_status", "status", "error"),
    [
        (400, 102, ProviderOutOfCreditError),
        (429, 20, RetryableSendError),
        (500, 0, RetryableSendError),
        (502, None, RetryableSendError),
        (401, 10, PermanentSendError),
        (400, 11, PermanentSendError),
        (400, 101, PermanentSendError),
        (400, 104, PermanentSendError),
        (400, 117, PermanentSendError),
        (400, 123, PermanentSendError),
        (404, None, PermanentSendError),
    ],
)
async def test_errors_map_to_retry_permanent_or_out_of_credit(
    smsir: SmsirServer, provider: SmsirProvider, http_status: int, status: int | None, error: type[Exception]
) -> None:
    """Proves each documented code (and a gateway page without the envelope) raises its class of error."""
    # given
    smsir.fail_next(http_status, status)
    # when
    with pytest.raises(error) as raised:
        await send(provider)
    # then
    assert type(raised.value) is error
    assert smsir.sent == []


async def test_a_wrong_key_is_permanent_and_never_quoted(smsir: SmsirServer) -> None:
    """Proves the server's 401 {status 10} is permanent and the key is not in the reason."""
    # given
    async with SmsirProvider("WRONG-KEY-123456", line=DEFAULT_LINE, base_url=smsir.base_url) as wrong:
        # when
        with pytest.raises(PermanentSendError) as raised:
            await send(wrong)
    # then
    assert raised.value.code == 10 and "WRONG-KEY" not in raised.value.reason


async def test_a_blacklisted_number_is_permanent(smsir: SmsirServer, provider: SmsirProvider) -> None:
    """Proves a message id of 0 (the operators' blacklist) fails the message for good."""
    # given
    smsir.blacklist.add("09121234567")
    # when
    with pytest.raises(PermanentSendError) as raised:
        await send(provider)
    # then
    assert "blacklist" in raised.value.reason


async def test_no_line_is_permanent_before_any_request(smsir: SmsirServer) -> None:
    """Proves sms.ir needs a line: without one nothing is asked."""
    async with SmsirProvider(API_KEY, base_url=smsir.base_url) as lineless:
        with pytest.raises(PermanentSendError):
            await send(lineless)
    assert smsir.requests == []


async def test_a_stalled_answer_is_an_unknown_outcome_and_the_look_up_finds_the_message(
    smsir: SmsirServer, provider: SmsirProvider
) -> None:
    """Proves a timeout after the request went out is OutcomeUnknownError, and look_up finds the message
    sms.ir took by number, text and time."""
    # given
    started = datetime.now(UTC)
    smsir.stall_next(2.0)
    with pytest.raises(OutcomeUnknownError):
        await send(provider)
    # when
    found = await provider.look_up(local_id="msg-1", receptor=PHONE, message="سلام سارا", sent_after=started)
    other_text = await provider.look_up(local_id="msg-1", receptor=PHONE, message="دیگر", sent_after=started)
    # then
    assert found.found and found.provider_message_id == str(FIRST_MESSAGE_ID)
    assert not other_text.found


async def test_a_lost_request_is_not_found_by_the_look_up(
    smsir: SmsirServer, provider: SmsirProvider
) -> None:
    """Proves a request sms.ir dropped is an unknown outcome whose look-up finds nothing (safe to resend)."""
    # given
    started = datetime.now(UTC)
    smsir.lose_next(2.0)
    with pytest.raises(OutcomeUnknownError):
        await send(provider)
    # when
    found = await provider.look_up(local_id="msg-1", receptor=PHONE, message="سلام سارا", sent_after=started)
    # then
    assert not found.found and smsir.sent == []


async def test_a_message_sent_before_the_attempt_is_not_taken_for_it(
    smsir: SmsirServer, provider: SmsirProvider
) -> None:
    """Proves an earlier identical text to the same number is not mistaken for the lost one."""
    # given
    await send(provider)
    # when
    found = await provider.look_up(
        local_id="msg-2",
        receptor=PHONE,
        message="سلام سارا",
        sent_after=datetime.now(UTC) + timedelta(minutes=5),
    )
    # then
    assert not found.found


async def test_delivery_reports_map_final_states_and_leave_pending_ones_out(
    smsir: SmsirServer, provider: SmsirProvider
) -> None:
    """Proves deliveryState 1 → delivered, 2 → undeliverable, 6 → failed, 3/5 pending, unknown ids ignored."""
    # given
    ids = [(await send(provider, f"پیام {n}")).provider_message_id for n in range(5)]
    smsir.set_state(ids[0], 1, at=1_700_000_000)
    smsir.set_state(ids[1], 2)
    smsir.set_state(ids[2], 6)
    smsir.set_state(ids[3], 3)
    # when
    reports = await provider.delivery_reports([*ids, "999", "not-a-number"])
    # then
    assert {(r.provider_message_id, r.status) for r in reports} == {
        (ids[0], "delivered"),
        (ids[1], "undeliverable"),
        (ids[2], "failed"),
    }
    delivered = next(r for r in reports if r.status == "delivered")
    assert delivered.at == datetime.fromtimestamp(1_700_000_000, UTC)


async def test_inbound_reads_todays_messages_to_the_line_with_stable_ids(
    smsir: SmsirServer, provider: SmsirProvider
) -> None:
    """Proves receive/live is read page by page, other lines are left out, a re-read gives the same ids."""
    # given
    for n in range(120):
        smsir.text_in("9121234567", f"پیام {n}", at=1_700_000_000 + n)
    smsir.text_in("9121234567", "۱۱", line="30009999")
    # when
    first = await provider.inbound(line=DEFAULT_LINE)
    again = await provider.inbound(line=DEFAULT_LINE)
    # then
    assert len(first) == 120 and [m.provider_message_id for m in first] == [
        m.provider_message_id for m in again
    ]
    assert len({m.provider_message_id for m in first}) == 120
    assert first[0].sender == "9121234567" and first[0].line == DEFAULT_LINE


async def test_credit_and_verify(smsir: SmsirServer, provider: SmsirProvider) -> None:
    """Proves credit reads the account's balance and send_verify sends a template (113 for an unknown one)."""
    # when
    before = await provider.credit()
    taken = await provider.send_verify(
        receptor=PHONE, template_id=100001, parameters={"Code": "1234"}, local_id="v"
    )
    with pytest.raises(PermanentSendError) as unknown:
        await provider.send_verify(receptor=PHONE, template_id=5, parameters={}, local_id="w")
    # then
    assert before == 1_000.0 and taken.provider_message_id == str(FIRST_MESSAGE_ID)
    assert unknown.value.code == 113


def test_numbers_are_written_as_sms_ir_expects() -> None:
    """Proves Iranian E.164 numbers become 09…, others digits only."""
    assert national("+989121234567") == "09121234567"
    assert national("+447700900123") == "447700900123"
