"""Names shared by whoever enqueues work and the worker that runs it."""

QUEUE_NAME = "revisit:queue"
