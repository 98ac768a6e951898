"""Following a job live (subscriptions): the current state at once, then every change, ending
after a terminal state. The row is the truth; an event only says "look again". Every subscriber
of a job in this process is fed by the job's one feed (schema/feeds.py), which reads the row once
per event for all of them and asks, per user, whether the user may still see it: one removed, or
no longer allowed to see the job, while following it gets NOT_FOUND at the next such look."""

from collections.abc import AsyncGenerator, Callable
from typing import Any

from downline.core import jobs
from downline.core.errors import NotFound
from downline.schema import feeds


async def follow(
    model: type,
    look: Callable[..., Any],
    principal,
    kind: str,
    job_id: str,
    convert: Callable[[Any], Any],
) -> AsyncGenerator[Any, None]:
    """`look(session, principal, job_id)` returns the row of `model` if the principal may see
    it."""
    email = principal.email
    async with feeds.joined(model, look, kind, job_id, email) as feed:
        since, row = await feed.first(email)
        sent = None
        while row is not None:
            latest = convert(row)
            if latest != sent:
                sent = latest
                yield latest
            if row.status in jobs.TERMINAL:
                return
            since, row = await feed.next(email, since)
        raise NotFound(f"no {kind} {job_id!r}", field="id")
