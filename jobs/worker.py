"""What the worker runs: every job function and the cron table, in one readable place."""

from __future__ import annotations

from arq import cron, func

from jobs.automation import AUTOMATION_CRON, AUTOMATION_FUNCTIONS
from jobs.ingest import expire_waiting_events, process_events, reconcile_events
from jobs.messaging import MESSAGING_CRON, MESSAGING_FUNCTIONS
from jobs.queue import QUEUE_NAME


class WorkerSettings:
    """arq settings. Results are not kept: Postgres holds the outcome of every job."""

    queue_name = QUEUE_NAME
    functions = [  # noqa: RUF012
        func(process_events, keep_result=0, max_tries=10),
        *AUTOMATION_FUNCTIONS,
        *MESSAGING_FUNCTIONS,
    ]
    cron_jobs = [  # noqa: RUF012
        cron(reconcile_events, second={0}, unique=True, run_at_startup=True),
        cron(expire_waiting_events, minute={17}, second={30}, unique=True),
        *AUTOMATION_CRON,
        *MESSAGING_CRON,
    ]
    keep_result = 0
    max_jobs = 20
    job_timeout = 300
