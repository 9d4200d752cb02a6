"""sms.ir's batch API (``send/likeToLike``, the day's sends for look-ups) through the real adapter against a
local server that speaks the protocol; and the console provider's batches."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from domain.messaging.providers import (
    BatchMessage,
    ConsoleProvider,
    OutcomeUnknownError,
    PermanentSendError,
    ProviderOutOfCreditError,
    RetryableSendError,
)
from domain.messaging.smsir import SmsirProvider
from tests.support.smsir_server import DEFAULT_LINE, FIRST_MESSAGE_ID, SmsirServer, running_smsir

API_KEY = "smsir-batch-test-key"


def batch(count: int, *, start: int = 0) -> list[BatchMessage]:
    return [
        BatchMessage(f"msg-{n}", f"+98912{n:07d}", f"سلام مشتری {n}", None)
        for n in range(start, start + count)
    ]


@pytest.fixture
async def smsir() -> AsyncIterator[SmsirServer]:
    async with running_smsir(api_key=API_KEY, credit=10_000.0) as server:
        yield server


@pytest.fixture
async def provider(smsir: SmsirServer) -> AsyncIterator[SmsirProvider]:
    async with SmsirProvider(API_KEY, line=DEFAULT_LINE, base_url=smsir.base_url, timeout=1.0) as adapter:
        yield adapter


async def test_a_batch_goes_as_like_to_like_one_text_per_number(
    smsir: SmsirServer, provider: SmsirProvider
) -> None:
    """Proves each number gets its own text in one likeToLike call and its own message id, in order."""
    # when
    outcomes = await provider.send_batch(batch(3))
    # then
    assert [(o.outcome, o.provider_message_id) for o in outcomes] == [
        ("taken", str(FIRST_MESSAGE_ID + n)) for n in range(3)
    ]
    assert smsir.requests == [("POST", "/v1/send/likeToLike")]
    assert [(r["mobile"], r["messageText"]) for r in smsir.sent] == [
        (912_000_0000 + n, f"سلام مشتری {n}") for n in range(3)
    ]


async def test_more_than_a_hundred_numbers_go_in_several_calls(
    smsir: SmsirServer, provider: SmsirProvider
) -> None:
    """Proves 250 messages go in calls of at most 100 (sms.ir's limit, 105 beyond it)."""
    # when
    outcomes = await provider.send_batch(batch(250))
    # then
    assert len(smsir.requests) == 3 and smsir.taken == 250 and len(outcomes) == 250


async def test_a_blacklisted_number_fails_alone(smsir: SmsirServer, provider: SmsirProvider) -> None:
    """Proves message id 0 (the operators' blacklist) fails that message only, for good."""
    # given
    smsir.blacklist.add("09120000001")
    # when
    outcomes = await provider.send_batch(batch(3))
    # then
    assert [o.outcome for o in outcomes] == ["taken", "failed", "taken"]
    assert outcomes[1].code == 115


async def test_an_invalid_number_fails_alone_by_halving(smsir: SmsirServer, provider: SmsirProvider) -> None:
    """Proves a 104 that refuses the whole call is narrowed down to the one invalid number."""
    # given
    messages = batch(6)
    messages[2] = BatchMessage("msg-bad", "+4915112345678", "hi", None)
    # when
    outcomes = await provider.send_batch(messages)
    # then
    assert [o.local_id for o in outcomes if o.outcome == "failed"] == ["msg-bad"]
    assert smsir.taken == 5


async def test_out_of_credit_refuses_the_whole_batch(smsir: SmsirServer, provider: SmsirProvider) -> None:
    """Proves 102 raises ProviderOutOfCreditError and nothing is sent."""
    # given
    smsir.credit = 1.0
    # when / then
    with pytest.raises(ProviderOutOfCreditError):
        await provider.send_batch(batch(3))
    assert smsir.taken == 0


async def test_a_line_that_is_not_the_accounts_is_permanent(smsir: SmsirServer) -> None:
    """Proves 101 (invalid line) raises PermanentSendError for the whole call."""
    # given
    async with SmsirProvider(API_KEY, line="30001111", base_url=smsir.base_url) as provider:
        # when / then
        with pytest.raises(PermanentSendError) as raised:
            await provider.send_batch(batch(2))
    assert raised.value.code == 101


async def test_a_rate_limit_is_retryable(smsir: SmsirServer, provider: SmsirProvider) -> None:
    """Proves 20 (too many requests) raises a RetryableSendError for the whole call."""
    # given
    smsir.fail_next(429, 20)
    # when / then
    with pytest.raises(RetryableSendError):
        await provider.send_batch(batch(2))


async def test_a_lost_answer_is_looked_up_by_number_and_text(
    smsir: SmsirServer, provider: SmsirProvider
) -> None:
    """Proves a stalled answer is an unknown outcome and one read of the day's sends finds the batch's
    messages that went, and promises the others never did."""
    # given
    attempt = datetime.now(UTC)
    smsir.stall_next(3.0)
    with pytest.raises(OutcomeUnknownError):
        await provider.send_batch(batch(2))
    # when
    found = await provider.look_up_batch(batch(3), sent_after=attempt)
    # then
    assert found["msg-0"].found and found["msg-1"].found and not found["msg-2"].found
    assert found["msg-0"].provider_message_id == str(FIRST_MESSAGE_ID)


async def test_the_console_takes_a_batch_once_per_local_id() -> None:
    """Proves the console provider's batch takes each local id once and fails an empty text alone."""
    # given
    console = ConsoleProvider(keep=10)
    messages = [*batch(2), BatchMessage("msg-empty", "+989120000009", "", None)]
    # when
    first = await console.send_batch(messages)
    again = await console.send_batch(messages[:2])
    found = await console.look_up_batch(batch(3), sent_after=datetime.now(UTC))
    # then
    assert [o.outcome for o in first] == ["taken", "taken", "failed"]
    assert [o.provider_message_id for o in again] == [o.provider_message_id for o in first[:2]]
    assert len(console.sent) == 2 and [r.found for r in found.values()] == [True, True, False]
