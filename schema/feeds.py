"""One feed per job followed in this process, shared by every subscription that follows it.

Each subscriber used to re-read its job's row every 2 s on the thread pool that serves every
request: 1,000 subscriptions on one export were 500 reads a second, and every other user's HTTP
requests queued behind them. Now the first subscriber of a job starts its feed: one subscription
on the event bus and one reader, which alone reads, one thing at a time. An event makes ONE read
of the row, by id, which every subscriber takes; events that arrive meanwhile are answered by one
more read, not one each.

Who may still see the job is asked per user, never per subscriber or per event: the reader looks
at the job once for each user following it, as that user stands now (the scoped look any query
makes), when a subscriber of that user joins (its first message) and every STANDING_SECONDS.
So 100 subscriptions of one user cost one look; a user removed, moved or demoted while following
gets NOT_FOUND at the next look. An event cannot change who may see a job (its progress is all it
tells), so it needs no look. The looks read the row too: a change whose event was lost still
reaches the subscribers within STANDING_SECONDS.

A turn's news wakes every subscriber of the job at once, and each then builds and sends its
message: 1,000 subscriptions held the event loop for 100 ms at a time, while every other request
of this process waited. They go on in slices instead (`_Pacer`), the loop serving its sockets
between two slices.

Everything a subscriber takes is numbered by a ticket, taken when a read or look starts; since one
reader does them in turn, a higher ticket is never older data, and a subscriber never goes back.
"""

import asyncio
import contextlib
import logging
import weakref
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any

from downline.core import events
from downline.core.book.scope import load_principal
from downline.schema.context import run

log = logging.getLogger(__name__)

# Seconds between two looks for each user following a job (and the longest a lost event delays).
STANDING_SECONDS = 3.0

# Put on the feed's queue beside the bus's events: a subscriber joined and waits for its look.
_JOINED = object()

# (session, principal, job_id) -> the job's row if the principal may see it now, else None.
Look = Callable[..., Any]


class Feed:
    def __init__(self, model: type, look: Look, kind: str, job_id: str) -> None:
        self.model, self.look, self.kind, self.job_id = model, look, kind, job_id
        self.users: dict[str, int] = {}  # email -> how many of its subscriptions follow the job
        self.row: Any = None  # the job as last read (None once it is gone)
        self.row_ticket = 0
        self.looked: dict[str, tuple[int, bool]] = {}  # email -> (last look's ticket, may see)
        self.tickets = 0
        self.wanted: set[str] = set()  # users to look for at the next turn
        self.changed = asyncio.Condition()
        self.listening: asyncio.Future = asyncio.get_running_loop().create_future()
        self.queue: asyncio.Queue | None = None
        self.reader = asyncio.create_task(self._read())

    # ---- the subscriber's side

    async def first(self, email: str) -> tuple[int, Any | None]:
        """The job as `email` may see it, looked at from now on: (the ticket taken, the row),
        or (the ticket, None) when it may not."""
        since = self.tickets
        self.wanted.add(email)
        self.queue.put_nowait(_JOINED)
        async with self.changed:
            await self.changed.wait_for(lambda: self.looked.get(email, (0, False))[0] > since)
        ticket, may_see = self.looked[email]
        return (self.row_ticket, self.row) if may_see else (ticket, None)

    async def next(self, email: str, since: int) -> tuple[int, Any | None]:
        """What was read after ticket `since`: (its ticket, the row), or (its ticket, None) once
        the row is gone or the user may no longer see the job."""

        def news() -> bool:
            ticket, may_see = self.looked.get(email, (0, True))
            return self.row_ticket > since or (ticket > since and not may_see)

        async with self.changed:
            await self.changed.wait_for(news)
        await _pacer().turn()
        ticket, may_see = self.looked.get(email, (0, True))
        if ticket > since and not may_see:
            return ticket, None
        return self.row_ticket, self.row

    # ---- the reader

    async def _read(self) -> None:
        try:
            async with events.get_bus().subscribe(events.channel(self.kind, self.job_id)) as queue:
                self.queue = queue
                self.listening.set_result(None)
                await self._turns(queue)
        except Exception as exc:  # noqa: BLE001 - said to the subscribers, or logged
            if self.listening.done():
                log.exception("the feed of %s %s stopped", self.kind, self.job_id)
            else:
                self.listening.set_exception(exc)  # each subscriber waiting to join raises it

    async def _turns(self, queue: asyncio.Queue) -> None:
        loop = asyncio.get_running_loop()
        next_look = loop.time() + STANDING_SECONDS
        while True:
            came = []
            with contextlib.suppress(TimeoutError):
                came.append(await asyncio.wait_for(queue.get(), max(next_look - loop.time(), 0)))
            while not queue.empty():  # everything that came meanwhile is answered by one turn
                came.append(queue.get_nowait())
            event = any(item is not _JOINED for item in came)
            users, self.wanted = self.wanted, set()
            if loop.time() >= next_look:
                users, next_look = set(self.users), loop.time() + STANDING_SECONDS
            if event or users:
                await self._turn(event, sorted(users))

    async def _turn(self, event: bool, users: list[str]) -> None:
        self.tickets += 1
        ticket = self.tickets
        try:
            read, looks = await run(
                _read_and_look, self.model, self.look, self.job_id, event, users
            )
        except Exception:  # noqa: BLE001 - the database is away: the next turn tries again
            log.warning("could not read %s %s", self.kind, self.job_id, exc_info=True)
            self.wanted.update(users)  # subscribers waiting for their first look still get it
            return
        seen = [row for row in looks.values() if row is not None]
        if event or seen:
            self.row, self.row_ticket = read if event else seen[0], ticket
        for email, row in looks.items():
            self.looked[email] = (ticket, row is not None)
        async with self.changed:
            self.changed.notify_all()


def _read_and_look(session, model, look: Look, job_id: str, event: bool, users: list[str]):
    """In one session: the row by id when an event came, and the job as each user may see it."""
    read = session.get(model, job_id) if event else None
    return read, {email: as_the_user_stands(session, look, email, job_id) for email in users}


def as_the_user_stands(session, look: Look, email: str, job_id: str) -> Any:
    """The row if the user behind `email`, re-loaded now, may see it (None once it is gone)."""
    principal = load_principal(session, email)
    return look(session, principal, job_id) if principal is not None else None


# Subscribers that go on with news in one pass of the event loop: each builds and sends its
# message, about 0.1 ms, so that a slice holds the loop for a few milliseconds at most.
SLICE = 25


class _Pacer:
    """Lets at most SLICE subscribers go on per pass of the event loop; the others wait for the
    next passes, in the order they came. (A pass runs what was ready when it began, then the
    loop reads its sockets: what the others' requests need.)"""

    def __init__(self) -> None:
        self.passed = 0  # subscribers gone on in this pass
        self.waiting: deque[asyncio.Future] = deque()
        self.pass_ends = False  # whether `_next_pass` is due

    async def turn(self) -> None:
        if not self.pass_ends:  # the first subscriber of a pass
            self.passed, self.pass_ends = 0, True
            asyncio.get_running_loop().call_soon(self._next_pass)
        if self.passed < SLICE and not self.waiting:
            self.passed += 1
            return
        place = asyncio.get_running_loop().create_future()
        self.waiting.append(place)
        await place

    def _next_pass(self) -> None:
        self.passed = 0
        while self.waiting and self.passed < SLICE:
            place = self.waiting.popleft()
            if not place.done():  # else cancelled: its subscriber left
                place.set_result(None)
                self.passed += 1
        self.pass_ends = bool(self.waiting)
        if self.pass_ends:
            asyncio.get_running_loop().call_soon(self._next_pass)


_pacers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _pacer() -> _Pacer:
    # Kept per loop and holding none: a pacer that held its loop would keep it alive.
    loop = asyncio.get_running_loop()
    pacer = _pacers.get(loop)
    if pacer is None:  # made once, not on every delivery
        pacer = _pacers[loop] = _Pacer()
    return pacer


# The feeds of each event loop (one per process under uvicorn; one per test client in tests).
_feeds: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@contextlib.asynccontextmanager
async def joined(
    model: type, look: Look, kind: str, job_id: str, email: str
) -> AsyncIterator[Feed]:
    """The job's feed, started by its first subscriber and stopped when its last one leaves;
    listening on the bus before this returns, so no change can slip by the first look."""
    feeds = _feeds.setdefault(asyncio.get_running_loop(), {})
    key = (kind, job_id)
    feed = feeds.get(key)
    if feed is None or feed.reader.done():
        feed = feeds[key] = Feed(model, look, kind, job_id)
    feed.users[email] = feed.users.get(email, 0) + 1
    try:
        await asyncio.shield(feed.listening)  # shielded: one subscriber leaving stops no other
        yield feed
    finally:
        feed.users[email] -= 1
        if not feed.users[email]:
            del feed.users[email]
            feed.looked.pop(email, None)  # never looked at, when it left before its first look
        if not feed.users:
            feed.reader.cancel()
            if feeds.get(key) is feed:
                del feeds[key]
