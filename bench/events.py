"""Job progress events over Redis pub/sub: publish -> subscriber latency.

A subscriber in this process's asyncio loop (`RedisBus.subscribe(channel)`, as a GraphQL
subscription uses it) and a publisher in another process calling `RedisBus.publish` (as a worker
does) N times at a steady rate, each event carrying its send time (CLOCK_MONOTONIC: one clock for
every process of the machine). The latency of an event is the time from just before `publish`
to the moment the subscriber takes it off its queue. Prints p50/p95/p99/max (target p95 < 50 ms)
and how many events were lost. Redis: DOWNLINE_BENCH_REDIS_URL (default
redis://127.0.0.1:6379/14); nothing is written to or flushed from any database.

    .venv/bin/python bench/events.py [--events 2000] [--rate 200]
"""

import argparse
import asyncio
import os
import signal
import sys
import time
import uuid

import common

DEFAULT_REDIS = "redis://127.0.0.1:6379/14"
TARGET_P95_MS = 50.0


def now() -> float:
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def publisher(url: str, channel: str, events: int, rate: float) -> None:
    """Publish `events` events at `rate` per second, each stamped with its send time."""
    from downline.core.events import RedisBus

    bus = RedisBus(url)
    bus.ping()
    start = now()
    for seq in range(events):
        slot = start + seq / rate
        wait = slot - now()
        if wait > 0:
            time.sleep(wait)
        bus.publish(channel, {"seq": seq, "sent": now(), "status": "PROCESSING"})
    bus.publish(channel, {"seq": -1, "sent": now(), "status": "SUCCEEDED"})


async def subscribe_and_measure(args) -> dict:
    from downline.core.events import RedisBus, channel

    bus = RedisBus(args.redis)
    bus.ping()
    name = channel("bench", uuid.uuid4().hex)
    latencies: dict[int, float] = {}
    duplicates = 0
    async with bus.subscribe(name) as queue:
        await asyncio.sleep(0.2)  # the SUBSCRIBE is acknowledged before the first publish
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            os.path.abspath(__file__),
            "--publish",
            name,
            "--redis",
            args.redis,
            "--events",
            str(args.events),
            "--rate",
            str(args.rate),
            start_new_session=True,
        )
        deadline = now() + args.events / args.rate + 30
        try:
            while now() < deadline:
                try:
                    event = await asyncio.wait_for(queue.get(), timeout=max(0.01, deadline - now()))
                except TimeoutError:
                    break
                received = now()
                if event["seq"] < 0:
                    break
                if event["seq"] in latencies:
                    duplicates += 1
                latencies[event["seq"]] = received - event["sent"]
        finally:
            if proc.returncode is None:
                try:
                    await asyncio.wait_for(proc.wait(), timeout=10)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()
    return {
        "latencies": list(latencies.values()),
        "lost": args.events - len(latencies),
        "duplicates": duplicates,
        "publisher_exit": proc.returncode,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=200, help="events per second")
    parser.add_argument(
        "--redis", default=os.environ.get("DOWNLINE_BENCH_REDIS_URL") or DEFAULT_REDIS
    )
    parser.add_argument("--publish", metavar="CHANNEL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.publish:
        publisher(args.redis, args.publish, args.events, args.rate)
        return 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    common.header(
        "job events: RedisBus.publish (another process) -> RedisBus.subscribe (asyncio)",
        f"redis {args.redis}; {args.events:,} events at {args.rate:g}/s; {common.machine_load()}",
    )
    started = time.perf_counter()
    result = asyncio.run(subscribe_and_measure(args))
    seconds = time.perf_counter() - started
    ms = [x * 1000 for x in result["latencies"]]
    p50, p95, p99 = (common.percentile(ms, p) for p in (50, 95, 99))
    print(f"   received {len(ms):,} of {args.events:,} in {seconds:.1f}s", end="")
    print(f" (lost {result['lost']}, duplicates {result['duplicates']})")
    if result["publisher_exit"]:
        print(f"   the publisher exited with {result['publisher_exit']}")
    print(
        f"   latency p50 {p50:.2f} ms   p95 {p95:.2f} ms   p99 {p99:.2f} ms   "
        f"max {max(ms, default=float('nan')):.2f} ms   min {min(ms, default=float('nan')):.2f} ms"
    )
    complete = result["lost"] == 0
    common.verdict(
        "events",
        (
            f"p95 = {p95:.1f} ms (p50 {p50:.1f}, p99 {p99:.1f})",
            f"< {TARGET_P95_MS:g} ms",
            p95 < TARGET_P95_MS,
        ),
        (f"lost {result['lost']} of {args.events:,}", "0", complete),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
