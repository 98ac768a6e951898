"""News reaches a job's subscribers in slices: at most feeds.SLICE go on per pass of the event
loop, in the order they came, so that work arriving meanwhile (another user's request) runs
between two slices, not after every subscriber has built and sent its message."""

import asyncio

from downline.schema import feeds


def burst(subscribers: int, leave: set[int] = frozenset()) -> list:
    """`subscribers` woken in one pass, as a turn wakes them; beside them, a task that stands
    for the rest of the loop's work and notes each pass it gets. What went on, in order."""
    went: list = []

    async def subscriber(n: int) -> None:
        await feeds._pacer().turn()
        went.append(n)

    async def other_work() -> None:
        while len([w for w in went if w != "other"]) < subscribers - len(leave):
            went.append("other")
            await asyncio.sleep(0)

    async def scenario() -> None:
        tasks = [asyncio.create_task(subscriber(n)) for n in range(subscribers)]
        other = asyncio.create_task(other_work())
        await asyncio.sleep(0)  # every subscriber has asked for its turn
        for n in leave:
            tasks[n].cancel()
        await asyncio.gather(other, *(t for n, t in enumerate(tasks) if n not in leave))

    asyncio.run(scenario())
    return went


def slices(went: list) -> list[list[int]]:
    """The subscribers that went on between two passes of the other work."""
    found: list[list[int]] = [[]]
    for item in went:
        if item == "other":
            found.append([])
        else:
            found[-1].append(item)
    return [s for s in found if s]


def test_a_burst_goes_on_in_slices_in_the_order_it_came():
    went = burst(4 * feeds.SLICE + 3)

    assert [n for s in slices(went) for n in s] == list(range(4 * feeds.SLICE + 3))
    assert [len(s) for s in slices(went)] == [feeds.SLICE] * 4 + [3]


def test_a_subscriber_that_leaves_while_waiting_takes_no_place():
    leave = {feeds.SLICE + 1, feeds.SLICE + 2}

    went = burst(2 * feeds.SLICE, leave)

    shown = slices(went)
    assert [n for s in shown for n in s] == [n for n in range(2 * feeds.SLICE) if n not in leave]
    assert [len(s) for s in shown] == [feeds.SLICE, feeds.SLICE - 2]


def test_news_after_a_quiet_spell_goes_on_at_once():
    async def scenario() -> int:
        await feeds._pacer().turn()
        for _ in range(3):
            await asyncio.sleep(0)  # the pass ends; nobody waits
        passes = 0
        waiting = asyncio.create_task(feeds._pacer().turn())
        while not waiting.done():
            passes += 1
            await asyncio.sleep(0)
        return passes

    assert asyncio.run(scenario()) == 1  # its own task's first step: no pass waited
