"""A campaign sent by a real worker process that is SIGKILLed mid-chunk, twice: nobody gets the message
twice, nobody is skipped, and the wallet is charged exactly for what the provider took."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from arq.connections import ArqRedis

from domain.campaigns.dispatch_claims import CLAIM_LEASE
from domain.campaigns.models import Campaign
from domain.messaging.models import OutboundMessage
from jobs.campaign_dispatch import enqueue_dispatch
from revisit.services import ServiceUrls
from tests.support.factories import TEST_SECRET
from tests.support.kavenegar_server import running_kavenegar
from tests.support.worker_process import WorkerProcess, eventually
from tests.unit.dispatch.dispatch_support import LINE, PART_PRICE, charged, launched_campaign

API_KEY = "crash-recovery-kavenegar-key"
RECIPIENTS = 3000
KILLS = 2


async def test_a_worker_killed_mid_chunk_sends_nobody_twice_and_skips_nobody(
    db: None, redis: ArqRedis, service_urls: ServiceUrls, tmp_path: Path
) -> None:
    """The worker dies (SIGKILL) while a chunk is claimed and its batches are with the provider, twice;
    after each restart the claimed chunk is looked up by local id, and at the end every message was taken
    exactly once by the provider, recorded sent with the provider's id, and charged once."""
    # given: a slow provider, so a kill lands while a chunk is in flight
    given = await launched_campaign(recipients=RECIPIENTS)
    campaign_id = given.campaign.id
    async with running_kavenegar(api_key=API_KEY, latency=0.4) as kavenegar:
        environment = {
            "REVISIT_LOG_LEVEL": "INFO",
            "REVISIT_SMS_PROVIDER": "kavenegar",
            "REVISIT_KAVENEGAR_API_KEY": API_KEY,
            "REVISIT_KAVENEGAR_BASE_URL": kavenegar.base_url,
            "REVISIT_KAVENEGAR_SENDER": LINE,
            "REVISIT_SMS_TIMEOUT_SECONDS": "5",
            "REVISIT_WORKER_METRICS_PORT": "0",
        }
        with WorkerProcess(service_urls, secret_key=TEST_SECRET, log_dir=tmp_path) as worker:
            claimed_at_kill = []
            for _ in range(KILLS):
                # when
                started = datetime.now(UTC)
                worker.spawn([], environment)
                await enqueue_dispatch(redis, given.tenant.id)
                await eventually(
                    lambda started=started: _in_flight(campaign_id, started),
                    within=60,
                    what="a chunk in flight",
                )
                worker.kill()
                claimed_at_kill.append(
                    await OutboundMessage.filter(
                        campaign_id=campaign_id, claimed_until__not_isnull=True
                    ).count()
                )
            worker.spawn([], environment)
            await eventually(lambda: _completed(campaign_id), within=180, what="the campaign completing")
        # then
        local_ids = [
            localid
            for attempt in kavenegar.attempts
            if "localmessageids" in attempt
            for localid in json.loads(attempt["localmessageids"])
        ]
        taken = list(kavenegar.entries)
        looked_up = len(kavenegar.lookup_calls)
        messages = await OutboundMessage.filter(campaign_id=campaign_id)
    assert all(count > 0 for count in claimed_at_kill)
    assert kavenegar.taken == RECIPIENTS == len(taken) == len(messages)
    by_receptor = {entry["receptor"] for entry in taken}
    assert len(by_receptor) == RECIPIENTS  # nobody twice
    assert {m.status for m in messages} == {"sent"}
    assert {str(m.id) for m in messages} == set(local_ids)  # nobody skipped, nobody unknown to the provider
    ids = {str(entry["messageid"]) for entry in taken}
    assert {m.provider_message_id for m in messages} == ids
    assert await charged(given.tenant.id) == RECIPIENTS * PART_PRICE
    assert kavenegar.resubmitted == 0  # what the provider had taken was looked up, not sent again
    assert looked_up >= KILLS  # each killed chunk was resolved by a look-up by local id


async def _in_flight(campaign_id: object, since: datetime) -> bool:
    """A chunk claimed by the worker started at ``since`` is with the provider."""
    return await OutboundMessage.filter(
        campaign_id=campaign_id, claimed_until__gt=since + CLAIM_LEASE, status="queued"
    ).exists()


async def _completed(campaign_id: object) -> bool:
    return (await Campaign.get(id=campaign_id)).status == "completed"
