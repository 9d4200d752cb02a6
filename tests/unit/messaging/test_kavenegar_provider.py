"""The Kavenegar adapter against a real local server speaking Kavenegar's protocol."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from domain.messaging.kavenegar import KavenegarProvider
from domain.messaging.providers import (
    LookupResult,
    OutcomeUnknownError,
    PermanentSendError,
    ProviderOutOfCreditError,
    RetryableSendError,
    SendResult,
    SmsProvider,
)
from tests.support.kavenegar_server import FIRST_MESSAGE_ID, KavenegarServer, running_kavenegar

API_KEY = "5A2B3C4D-kavenegar-test-key"
PHONE = "+989121234567"


@pytest.fixture
async def kavenegar() -> AsyncIterator[KavenegarServer]:
    async with running_kavenegar(api_key=API_KEY) as server:
        yield server


@pytest.fixture
async def provider(kavenegar: KavenegarServer) -> AsyncIterator[KavenegarProvider]:
    async with KavenegarProvider(API_KEY, base_url=kavenegar.base_url, timeout=2.0) as adapter:
        yield adapter


async def send(provider: SmsProvider, *, local_id: str = "msg-1", sender: str | None = None) -> SendResult:
    return await provider.send(receptor=PHONE, message="سلام سارا", sender=sender, local_id=local_id)


async def test_sending_posts_the_documented_form_fields_and_returns_the_message_id(
    kavenegar: KavenegarServer, provider: KavenegarProvider
) -> None:
    """Proves receptor, message, sender and localid are sent and messageid comes back as a string."""
    # given
    sms: SmsProvider = provider

    # when
    result = await send(sms, local_id="msg-1", sender="10008663")

    # then
    assert result == SendResult(provider_message_id=str(FIRST_MESSAGE_ID), status="queued")
    assert kavenegar.received == [
        {"receptor": PHONE, "message": "سلام سارا", "sender": "10008663", "localid": "msg-1"}
    ]


async def test_sender_is_left_out_when_the_store_has_no_line(
    kavenegar: KavenegarServer, provider: KavenegarProvider
) -> None:
    """Proves Kavenegar picks the account's default line when no sender is given."""
    # given / when
    await send(provider, sender=None)

    # then
    assert "sender" not in kavenegar.received[0]


async def test_out_of_credit_is_a_distinct_retryable_error(
    kavenegar: KavenegarServer, provider: KavenegarProvider
) -> None:
    """Proves 418 raises ProviderOutOfCreditError, a RetryableSendError, and delivers nothing."""
    # given
    kavenegar.fail_next(418)

    # when
    with pytest.raises(ProviderOutOfCreditError) as raised:
        await send(provider)

    # then
    assert isinstance(raised.value, RetryableSendError)
    assert raised.value.code == 418
    assert "اعتبار حساب شما کافی نیست" in raised.value.reason
    assert kavenegar.received == []


async def test_server_busy_is_retryable_and_the_retry_succeeds(
    kavenegar: KavenegarServer, provider: KavenegarProvider
) -> None:
    """Proves 409 is transient: the same message goes out on the next attempt."""
    # given
    kavenegar.fail_next(409)

    # when
    with pytest.raises(RetryableSendError) as raised:
        await send(provider)
    result = await send(provider)

    # then
    assert raised.value.code == 409
    assert not isinstance(raised.value, ProviderOutOfCreditError)
    assert result.provider_message_id == str(FIRST_MESSAGE_ID)
    assert len(kavenegar.attempts) == 2 and len(kavenegar.received) == 1


async def test_an_invalid_receptor_is_permanent(
    kavenegar: KavenegarServer, provider: KavenegarProvider
) -> None:
    """Proves the server's 411 for a number that is no mobile number is a permanent failure."""
    # given
    receptor = "+98211234"

    # when
    with pytest.raises(PermanentSendError) as raised:
        await provider.send(receptor=receptor, message="hi", sender=None, local_id="msg-1")

    # then
    assert raised.value.code == 411
    assert kavenegar.received == []


async def test_a_wrong_api_key_is_permanent_and_never_quoted(kavenegar: KavenegarServer) -> None:
    """Proves 403 is permanent and the key (which sits in the URL) is not in the reason."""
    # given
    wrong_key = "WRONG-KEY-0000"
    async with KavenegarProvider(wrong_key, base_url=kavenegar.base_url) as provider:
        # when
        with pytest.raises(PermanentSendError) as raised:
            await send(provider)

    # then
    assert raised.value.code == 403
    assert wrong_key not in raised.value.reason
    assert kavenegar.received == []


@pytest.mark.parametrize("status", [400, 401, 403, 406, 411, 412, 413, 422, 501])
async def test_errors_a_retry_cannot_fix_are_permanent(kavenegar: KavenegarServer, status: int) -> None:
    """Proves request, account and content errors are classified permanent."""
    # given
    kavenegar.fail_next(status)

    # when
    async with KavenegarProvider(API_KEY, base_url=kavenegar.base_url) as provider:
        with pytest.raises(PermanentSendError) as raised:
            await send(provider)

    # then
    assert raised.value.code == status


@pytest.mark.parametrize("status", [402, 409, 429, 451, 500, 502, 503])
async def test_busy_rate_limited_and_server_errors_are_retryable(
    kavenegar: KavenegarServer, status: int
) -> None:
    """Proves transient failures are classified retryable."""
    # given
    kavenegar.fail_next(status)

    # when
    async with KavenegarProvider(API_KEY, base_url=kavenegar.base_url) as provider:
        with pytest.raises(RetryableSendError) as raised:
            await send(provider)

    # then
    assert raised.value.code == status


async def test_a_repeated_localid_returns_the_original_message_and_sends_nothing(
    kavenegar: KavenegarServer, provider: KavenegarProvider
) -> None:
    """Proves provider-side duplicate protection: the same localid twice is one SMS, one id."""
    # given
    first = await send(provider, local_id="msg-42")

    # when
    again = await send(provider, local_id="msg-42")

    # then
    assert again.provider_message_id == first.provider_message_id
    assert len(kavenegar.received) == 1
    assert len(kavenegar.attempts) == 2


async def test_a_retry_after_a_timeout_does_not_deliver_twice(kavenegar: KavenegarServer) -> None:
    """Proves the case localid exists for: Kavenegar took the SMS, but the answer came too late."""
    # given
    kavenegar.stall_next(1.5)
    async with KavenegarProvider(API_KEY, base_url=kavenegar.base_url, timeout=0.3) as provider:
        with pytest.raises(OutcomeUnknownError):
            await send(provider, local_id="msg-7")

        # when
        result = await send(provider, local_id="msg-7")

    # then
    entry = kavenegar.entry_for("msg-7")
    assert entry is not None
    assert result.provider_message_id == str(entry["messageid"])
    assert len(kavenegar.entries) == 1


async def test_an_unreachable_server_is_retryable() -> None:
    """Proves a refused connection (nothing listening on the port) is transient, and not an unknown outcome:
    the request never left, so nothing needs looking up."""
    # given
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]

    # when
    async with KavenegarProvider(
        API_KEY, base_url=f"http://127.0.0.1:{closed_port}", timeout=2.0
    ) as provider:
        with pytest.raises(RetryableSendError) as raised:
            await send(provider)

    # then
    assert API_KEY not in raised.value.reason
    assert not isinstance(raised.value, OutcomeUnknownError)


async def test_a_gateway_error_page_is_retryable(
    kavenegar: KavenegarServer, provider: KavenegarProvider
) -> None:
    """Proves a non-JSON 502 from a proxy in front of Kavenegar is read by its HTTP status."""
    # given
    kavenegar.fail_next(502, body="<html><body>502 Bad Gateway</body></html>")

    # when
    with pytest.raises(RetryableSendError) as raised:
        await send(provider)

    # then
    assert raised.value.code == 502


async def test_an_accepted_answer_without_a_message_id_is_retryable(
    kavenegar: KavenegarServer, provider: KavenegarProvider
) -> None:
    """Proves an unreadable success is retried (safe thanks to localid) rather than recorded as sent."""
    # given
    kavenegar.fail_next(200, body='{"return": {"status": 200, "message": "تایید شد"}, "entries": []}')

    # when / then
    with pytest.raises(RetryableSendError):
        await send(provider)


async def test_logs_mask_the_phone_and_never_show_the_api_key(
    kavenegar: KavenegarServer, provider: KavenegarProvider, caplog: pytest.LogCaptureFixture
) -> None:
    """Proves the revisit.sms log lines for a success and a failure carry no personal data or secret."""
    # given
    caplog.set_level(logging.INFO, logger="revisit.sms")
    kavenegar.fail_next(418)

    # when
    with pytest.raises(ProviderOutOfCreditError):
        await send(provider, local_id="msg-1")
    await send(provider, local_id="msg-1")

    # then
    lines = [record.getMessage() for record in caplog.records if record.name == "revisit.sms"]
    assert len(lines) == 2
    assert all(PHONE not in line and API_KEY not in line and "4567" in line for line in lines)


async def test_a_read_timeout_after_kavenegar_took_the_message_is_an_unknown_outcome(
    kavenegar: KavenegarServer,
) -> None:
    """Proves a stalled answer is OutcomeUnknownError (not a plain retry), and look_up then finds the
    message by its localid with Kavenegar's id."""
    # given
    kavenegar.stall_next(2.0)
    async with KavenegarProvider(API_KEY, base_url=kavenegar.base_url, timeout=0.3) as provider:
        # when
        with pytest.raises(OutcomeUnknownError):
            await send(provider, local_id="msg-9")
        found = await provider.look_up(
            local_id="msg-9", receptor=PHONE, message="", sent_after=datetime.now(UTC)
        )
        missing = await provider.look_up(
            local_id="never", receptor=PHONE, message="", sent_after=datetime.now(UTC)
        )
    # then
    assert found == LookupResult(found=True, provider_message_id=str(FIRST_MESSAGE_ID), status="queued")
    assert missing == LookupResult(found=False)
    assert kavenegar.lookup_calls[0]["localid"] == "msg-9"


async def test_inbound_reads_the_line_s_unread_messages_once(
    kavenegar: KavenegarServer, provider: KavenegarProvider
) -> None:
    """Proves receive.json is asked with the line and isread=0, entries become Inbound, and a second read is
    empty; without a line nothing is asked."""
    # given
    message_id = kavenegar.text_in("09121234567", "لغو۱۱", line="10004346")
    kavenegar.text_in("09129999999", "other line", line="20002000")
    # when
    first = await provider.inbound(line="10004346")
    second = await provider.inbound(line="10004346")
    none = await provider.inbound(line=None)
    # then
    assert [(m.provider_message_id, m.sender, m.line, m.body) for m in first] == [
        (str(message_id), "09121234567", "10004346", "لغو۱۱")
    ]
    assert second == [] and none == []
    assert [call["isread"] for call in kavenegar.receive_calls] == ["0", "0"]


async def test_a_look_up_with_a_wrong_key_is_permanent(kavenegar: KavenegarServer) -> None:
    """Proves a 403 on statuslocalmessageid is a PermanentSendError (the account is refused)."""
    async with KavenegarProvider("WRONG-KEY-0000", base_url=kavenegar.base_url) as provider:
        with pytest.raises(PermanentSendError) as raised:
            await provider.look_up(local_id="x", receptor=PHONE, message="", sent_after=datetime.now(UTC))
    assert raised.value.code == 403
