"""Following a job live (subscriptions): the current state at once, then every change, ending
after a terminal state. The row is the truth; an event only says "look again", and the row is
also re-read every few seconds, so a lost event or a restarted worker never stalls a subscriber.
Every look is made as the user stands now: one removed, or no longer allowed to see the job,
while following it gets NOT_FOUND at the next look."""

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Callable
from typing import Any

from downline.core import events, jobs
from downline.core.book.scope import load_principal
from downline.core.errors import NotFound
from downline.schema.context import run

POLL_SECONDS = 2.0


async def follow(
    load: Callable[..., Any], principal, kind: str, job_id: str, convert: Callable[[Any], Any]
) -> AsyncGenerator[Any, None]:
    """`load(session, principal, job_id)` returns the row if the principal may see it."""

    async def look() -> Any:
        row = await run(_as_the_user_stands, load, principal.email, job_id)
        if row is None:
            raise NotFound(f"no {kind} {job_id!r}", field="id")
        return row

    async with events.get_bus().subscribe(events.channel(kind, job_id)) as nudges:
        row = await look()  # after subscribing: no change can slip by
        sent = convert(row)
        yield sent
        while row.status not in jobs.TERMINAL:
            with contextlib.suppress(TimeoutError):  # no nudge: look at the row anyway
                await asyncio.wait_for(nudges.get(), timeout=POLL_SECONDS)
            row = await look()
            latest = convert(row)
            if latest != sent:
                sent = latest
                yield latest


def _as_the_user_stands(session, load: Callable[..., Any], email: str, job_id: str) -> Any:
    """The row if the user behind `email`, re-loaded now, may see it (None once it is gone)."""
    principal = load_principal(session, email)
    return load(session, principal, job_id) if principal is not None else None
