"""Following a job live (subscriptions): the current state at once, then every change, ending
after a terminal state. The row is the truth; an event only says "look again", and the row is
also re-read every few seconds, so a lost event or a restarted worker never stalls a subscriber."""

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Callable
from typing import Any

from downline.core import events, jobs
from downline.core.errors import NotFound
from downline.schema.context import run

POLL_SECONDS = 2.0


async def follow(
    load: Callable[..., Any], principal, kind: str, job_id: str, convert: Callable[[Any], Any]
) -> AsyncGenerator[Any, None]:
    """`load(session, principal, job_id)` returns the row if the principal may see it. It is
    asked again at every nudge and poll: a job that stops being visible meanwhile (its requester
    moved elsewhere) ends the subscription with NOT_FOUND, as one never visible does."""
    async with events.get_bus().subscribe(events.channel(kind, job_id)) as nudges:
        row = await _visible(load, principal, kind, job_id)  # after subscribing: nothing slips by
        sent = convert(row)
        yield sent
        while row.status not in jobs.TERMINAL:
            with contextlib.suppress(TimeoutError):  # no nudge: look at the row anyway
                await asyncio.wait_for(nudges.get(), timeout=POLL_SECONDS)
            row = await _visible(load, principal, kind, job_id)
            latest = convert(row)
            if latest != sent:
                sent = latest
                yield latest


async def _visible(load: Callable[..., Any], principal, kind: str, job_id: str) -> Any:
    row = await run(load, principal, job_id)
    if row is None:
        raise NotFound(f"no {kind} {job_id!r}", field="id")
    return row
