"""The console provider: what `revisit dev` sends through."""

from __future__ import annotations

import logging

import pytest

from domain.messaging.providers import ConsoleProvider, PermanentSendError, SmsProvider


async def test_console_provider_logs_with_a_masked_phone_and_keeps_the_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Proves the message is logged on revisit.sms without the full phone and kept for inspection."""
    # given
    provider: SmsProvider = ConsoleProvider()
    caplog.set_level(logging.INFO, logger="revisit.sms")

    # when
    result = await provider.send(receptor="+989121234567", message="سلام", sender=None, local_id="m-1")

    # then
    assert result.provider_message_id.startswith("console-")
    assert "+989121234567" not in caplog.text
    assert "4567" in caplog.text and "سلام" in caplog.text
    assert isinstance(provider, ConsoleProvider)
    assert [(sent.receptor, sent.local_id) for sent in provider.sent] == [("+989121234567", "m-1")]


async def test_console_provider_sends_a_repeated_local_id_once() -> None:
    """Proves the console provider honours local ids the way Kavenegar does."""
    # given
    provider = ConsoleProvider()
    first = await provider.send(receptor="+989121234567", message="hi", sender=None, local_id="m-1")

    # when
    again = await provider.send(receptor="+989121234567", message="hi", sender=None, local_id="m-1")

    # then
    assert again.provider_message_id == first.provider_message_id
    assert len(provider.sent) == 1


async def test_console_provider_keeps_only_the_last_n_messages() -> None:
    """Proves the in-memory list is bounded."""
    # given
    provider = ConsoleProvider(keep=2)

    # when
    for number in range(3):
        await provider.send(receptor="+989121234567", message=f"#{number}", sender=None, local_id=str(number))

    # then
    assert [sent.message for sent in provider.sent] == ["#1", "#2"]


async def test_console_provider_refuses_an_empty_message() -> None:
    """Proves an empty body is a permanent failure, as it is at a real provider."""
    # given
    provider = ConsoleProvider()

    # when / then
    with pytest.raises(PermanentSendError):
        await provider.send(receptor="+989121234567", message="", sender=None, local_id="m-1")
