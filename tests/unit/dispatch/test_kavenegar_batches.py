"""Kavenegar's batch API (``sms/sendarray``, ``sms/statuslocalmessageid``) through the real adapter against a
local server that speaks the protocol."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from domain.messaging.kavenegar import KavenegarProvider
from domain.messaging.providers import (
    BatchMessage,
    LookupResult,
    OutcomeUnknownError,
    PermanentSendError,
    ProviderOutOfCreditError,
    RetryableSendError,
    SmsProvider,
)
from tests.support.kavenegar_server import FIRST_MESSAGE_ID, KavenegarServer, running_kavenegar

API_KEY = "5A2B3C4D-kavenegar-batch-key"
LINE = "10008663"


def batch(count: int, *, start: int = 0, sender: str | None = LINE) -> list[BatchMessage]:
    return [
        BatchMessage(local_id=f"msg-{n}", receptor=f"+98912{n:07d}", message=f"سلام مشتری {n}", sender=sender)
        for n in range(start, start + count)
    ]


@pytest.fixture
async def kavenegar() -> AsyncIterator[KavenegarServer]:
    async with running_kavenegar(api_key=API_KEY, max_batch=200) as server:
        yield server


@pytest.fixture
async def provider(kavenegar: KavenegarServer) -> AsyncIterator[KavenegarProvider]:
    async with KavenegarProvider(API_KEY, base_url=kavenegar.base_url, timeout=1.0) as adapter:
        yield adapter


async def test_a_batch_goes_in_one_sendarray_call_with_json_arrays_and_local_ids(
    kavenegar: KavenegarServer, provider: KavenegarProvider
) -> None:
    """Proves receptor, message, sender and localmessageids travel as JSON arrays and every message gets
    its own outcome with Kavenegar's message id, in order."""
    # given
    sms: SmsProvider = provider
    messages = batch(3)
    # when
    outcomes = await sms.send_batch(messages)
    # then
    assert [(o.local_id, o.outcome, o.provider_message_id) for o in outcomes] == [
        (f"msg-{n}", "taken", str(FIRST_MESSAGE_ID + n)) for n in range(3)
    ]
    assert len(kavenegar.attempts) == 1
    fields = kavenegar.attempts[0]
    assert json.loads(fields["receptor"]) == [m.receptor for m in messages]
    assert json.loads(fields["message"]) == [m.message for m in messages]
    assert json.loads(fields["sender"]) == [LINE] * 3
    assert json.loads(fields["localmessageids"]) == ["msg-0", "msg-1", "msg-2"]
    assert kavenegar.taken == 3


async def test_more_messages_than_a_call_carries_go_in_several_calls(
    kavenegar: KavenegarServer, provider: KavenegarProvider
) -> None:
    """Proves 450 messages go in calls of at most 200 (the server refuses more with 414)."""
    # when
    outcomes = await provider.send_batch(batch(450))
    # then
    assert [len(json.loads(a["receptor"])) for a in kavenegar.attempts] == [200, 200, 50]
    assert {o.outcome for o in outcomes} == {"taken"} and kavenegar.taken == 450


async def test_the_same_local_ids_again_send_nothing_twice(
    kavenegar: KavenegarServer, provider: KavenegarProvider
) -> None:
    """Proves Kavenegar's duplicate protection: a batch resent returns the original ids, takes none again."""
    # given
    first = await provider.send_batch(batch(5))
    # when
    again = await provider.send_batch(batch(5))
    # then
    assert [o.provider_message_id for o in again] == [o.provider_message_id for o in first]
    assert kavenegar.taken == 5 and kavenegar.resubmitted == 5


async def test_a_bad_number_fails_alone_while_the_rest_of_the_batch_goes(
    kavenegar: KavenegarServer, provider: KavenegarProvider
) -> None:
    """Proves a 411 that refuses the whole call is narrowed by halving: only the invalid receptor fails."""
    # given
    messages = batch(8)
    messages[5] = BatchMessage("msg-bad", "+4915112345678", "hello", LINE)
    # when
    outcomes = await provider.send_batch(messages)
    # then
    failed = [o for o in outcomes if o.outcome == "failed"]
    assert [(o.local_id, o.code) for o in failed] == [("msg-bad", 411)]
    assert [o.local_id for o in outcomes] == [m.local_id for m in messages]
    assert kavenegar.taken == 7


async def test_an_empty_text_fails_alone(kavenegar: KavenegarServer, provider: KavenegarProvider) -> None:
    """Proves a 413 (empty message) fails only that message."""
    # given
    messages = batch(3)
    messages[0] = BatchMessage("msg-empty", "+989120000009", " ", LINE)
    # when
    outcomes = await provider.send_batch(messages)
    # then
    assert [(o.outcome, o.code) for o in outcomes] == [("failed", 413), ("taken", None), ("taken", None)]


async def test_out_of_credit_refuses_the_whole_call(
    kavenegar: KavenegarServer, provider: KavenegarProvider
) -> None:
    """Proves 418 raises ProviderOutOfCreditError for the batch and nothing is taken."""
    # given
    kavenegar.fail_next(418)
    # when / then
    with pytest.raises(ProviderOutOfCreditError):
        await provider.send_batch(batch(3))
    assert kavenegar.taken == 0


async def test_a_busy_server_is_retryable_for_the_whole_call(
    kavenegar: KavenegarServer, provider: KavenegarProvider
) -> None:
    """Proves 409 raises a RetryableSendError (not an unknown outcome: nothing was taken)."""
    # given
    kavenegar.fail_next(409)
    # when / then
    with pytest.raises(RetryableSendError) as raised:
        await provider.send_batch(batch(2))
    assert not isinstance(raised.value, OutcomeUnknownError)


async def test_a_wrong_key_is_permanent_for_the_whole_call(kavenegar: KavenegarServer) -> None:
    """Proves 403 raises a PermanentSendError and the key appears nowhere in the reason."""
    # given
    async with KavenegarProvider("wrong-key-123456", base_url=kavenegar.base_url) as provider:
        # when / then
        with pytest.raises(PermanentSendError) as raised:
            await provider.send_batch(batch(2))
    assert raised.value.code == 403 and "wrong-key" not in raised.value.reason


async def test_a_lost_answer_is_an_unknown_outcome_and_the_look_up_finds_what_was_taken(
    kavenegar: KavenegarServer, provider: KavenegarProvider
) -> None:
    """Proves a stalled answer raises OutcomeUnknownError although the server took the batch, and the
    batch look-up by local ids then finds every message with its id."""
    # given
    kavenegar.stall_next(3.0)
    messages = batch(4)
    with pytest.raises(OutcomeUnknownError):
        await provider.send_batch(messages)
    # when
    found = await provider.look_up_batch(messages, sent_after=datetime.now(UTC))
    # then
    assert found == {f"msg-{n}": LookupResult(True, str(FIRST_MESSAGE_ID + n), "queued") for n in range(4)}
    assert kavenegar.lookup_calls[-1]["localid"] == "msg-0,msg-1,msg-2,msg-3"


async def test_a_look_up_promises_what_was_never_taken(
    kavenegar: KavenegarServer, provider: KavenegarProvider
) -> None:
    """Proves a lost request (nothing taken) is looked up as not found, message by message."""
    # given
    await provider.send_batch(batch(1))
    kavenegar.lose_next(2.0)
    with pytest.raises(OutcomeUnknownError):
        await provider.send_batch(batch(2, start=1))
    # when
    found = await provider.look_up_batch(batch(3), sent_after=datetime.now(UTC))
    # then
    assert found["msg-0"].found and not found["msg-1"].found and not found["msg-2"].found


async def test_a_look_up_of_many_ids_asks_in_calls_of_200(
    kavenegar: KavenegarServer, provider: KavenegarProvider
) -> None:
    """Proves 450 local ids are asked in three calls and each one answered."""
    # when
    found = await provider.look_up_batch(batch(450), sent_after=datetime.now(UTC))
    # then
    assert len(kavenegar.lookup_calls) == 3 and len(found) == 450
    assert not any(result.found for result in found.values())


async def test_no_line_leaves_the_sender_array_out(
    kavenegar: KavenegarServer, provider: KavenegarProvider
) -> None:
    """Proves a batch without a line sends no sender field (Kavenegar's default line sends it)."""
    # when
    outcomes = await provider.send_batch(batch(2, sender=None))
    # then
    assert "sender" not in kavenegar.attempts[0] and {o.outcome for o in outcomes} == {"taken"}


async def test_an_empty_batch_calls_nobody(kavenegar: KavenegarServer, provider: KavenegarProvider) -> None:
    """Proves an empty batch is an empty answer without a request."""
    # when
    outcomes = await provider.send_batch([])
    # then
    assert outcomes == [] and kavenegar.attempts == []
