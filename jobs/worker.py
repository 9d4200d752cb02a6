"""What the worker runs: every job function and the cron table, in one readable place."""

from __future__ import annotations

from arq import cron, func

from jobs.automation import AUTOMATION_CRON, AUTOMATION_FUNCTIONS
from jobs.billing import BILLING_CRON, BILLING_FUNCTIONS
from jobs.campaign_dispatch import CAMPAIGN_DISPATCH_CRON, CAMPAIGN_DISPATCH_FUNCTIONS
from jobs.campaigns import CAMPAIGN_CRON
from jobs.credit import CREDIT_CRON, CREDIT_FUNCTIONS
from jobs.ingest import expire_waiting_events, process_events, reconcile_events
from jobs.intelligence import INTELLIGENCE_CRON, INTELLIGENCE_FUNCTIONS
from jobs.journey_dates import JOURNEY_DATES_CRON, JOURNEY_DATES_FUNCTIONS
from jobs.messaging import MESSAGING_CRON, MESSAGING_FUNCTIONS
from jobs.metrics import after_job_end, instrumented_cron, instrumented_functions, on_job_end, on_job_start
from jobs.queue import QUEUE_NAME


class WorkerSettings:
    """arq settings. Results are not kept: Postgres holds the outcome of every job.

    Every function and cron job is counted and timed (:mod:`jobs.metrics`) through arq's job hooks.
    """

    queue_name = QUEUE_NAME
    functions = instrumented_functions(
        [
            func(process_events, keep_result=0, max_tries=10),
            *AUTOMATION_FUNCTIONS,
            *BILLING_FUNCTIONS,
            *CREDIT_FUNCTIONS,
            *MESSAGING_FUNCTIONS,
            *CAMPAIGN_DISPATCH_FUNCTIONS,
            *INTELLIGENCE_FUNCTIONS,
            *JOURNEY_DATES_FUNCTIONS,
        ]
    )
    cron_jobs = instrumented_cron(
        [
            cron(reconcile_events, second={0}, unique=True, run_at_startup=True),
            cron(expire_waiting_events, minute={17}, second={30}, unique=True),
            *AUTOMATION_CRON,
            *BILLING_CRON,
            *CREDIT_CRON,
            *MESSAGING_CRON,
            *CAMPAIGN_CRON,
            *CAMPAIGN_DISPATCH_CRON,
            *INTELLIGENCE_CRON,
            *JOURNEY_DATES_CRON,
        ]
    )
    on_job_start = staticmethod(on_job_start)
    on_job_end = staticmethod(on_job_end)
    after_job_end = staticmethod(after_job_end)
    keep_result = 0
    max_jobs = 20
    job_timeout = 300
