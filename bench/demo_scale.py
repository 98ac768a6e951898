"""How fast `downline demo` writes a large book: generates one into the configured database
(DOWNLINE_DATABASE_URL, migrated and empty) and prints rows written per second.

    DOWNLINE_DATABASE_URL=postgresql+psycopg://... .venv/bin/python bench/demo_scale.py \\
        --clients 1000000

Leads default to half the clients, policies to as many as the clients, and agents to one per 100
clients, as a real book would have. Prints rows/s overall and for the policies alone (the policy
stage is timed on its own through the progress callback). Not a test: run it by hand; it leaves the
book in the database.
"""

import argparse
import sys
import time

from downline.core import db
from downline.core.demo import generate
from downline.core.demo.console import progress_bar


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200_000)
    parser.add_argument("--leads", type=int, help="default: clients / 2")
    parser.add_argument("--policies", type=int, help="default: as many as the clients")
    parser.add_argument("--agents", type=int, help="default: clients / 100 (at least 60)")
    parser.add_argument("--agencies", type=int, help="default: agents / 10 (at least 12)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    leads = args.clients // 2 if args.leads is None else args.leads
    policies = args.clients if args.policies is None else args.policies
    agents = args.agents or max(60, args.clients // 100)
    agencies = args.agencies or max(12, agents // 10)

    engine = db.get_engine()
    print(
        f"{engine.url.render_as_string(hide_password=True)}: {args.clients:,} clients, "
        f"{leads:,} leads, {policies:,} policies, {agents:,} agents, {agencies:,} agencies"
    )
    stages: dict[str, list[float]] = {}  # stage -> [first report, last report], perf_counter

    def timed(bar):
        def report(stage: str, done: int, total: int) -> None:
            now = time.perf_counter()
            stages.setdefault(stage, [now, now])[1] = now
            if bar is not None:
                bar(stage, done, total)

        return report

    started = time.perf_counter()
    with progress_bar(sys.stderr.isatty()) as bar:
        summary = generate(
            engine,
            agencies=agencies,
            agents=agents,
            clients=args.clients,
            leads=leads,
            policies=policies,
            seed=args.seed,
            progress=timed(bar),
        )
    seconds = time.perf_counter() - started
    rows = sum(summary.counts.values())
    for kind, count in summary.counts.items():
        print(f"  {kind:<16} {count:>10,}")
    print(
        f"{rows:,} rows in {seconds:.1f}s: {rows / seconds:,.0f} rows/s "
        f"({args.clients / seconds:,.0f} clients/s with their child rows)"
    )
    if policies:
        first, last = stages["policies"]
        print(
            f"policies: {policies:,} in {last - first:.1f}s: "
            f"{policies / (last - first):,.0f} rows/s (generated and inserted)"
        )


if __name__ == "__main__":
    main()
