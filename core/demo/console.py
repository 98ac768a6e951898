"""What `downline demo` shows: a progress bar while it writes (on a terminal) and, at the end,
the counts and a bearer token for each demo user, ready to paste."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from downline.core.demo.book import DemoSummary, Progress

LABELS = {
    "agencies": "agencies",
    "agents": "agents",
    "users": "users",
    "clients": "clients",
    "follow_ups": "client follow-ups",
    "dmis": "DMIs",
    "svis": "SVIs",
    "eap_payouts": "EAP payouts",
    "leads": "leads",
    "policies": "policies",
    "carrier_reports": "carrier reports",
    "program_payouts": "program payouts",
}


@contextmanager
def progress_bar(enabled: bool) -> Iterator[Progress | None]:
    """A `Progress` callback drawing one rich bar per stage on stderr, or None when disabled."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TimeRemainingColumn
    from rich.progress import Progress as Bars

    bars = Bars(
        "[progress.description]{task.description:<10}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    )
    tasks: dict[str, int] = {}

    def update(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bars.add_task(stage, total=total)
        bars.update(tasks[stage], completed=done, total=total)

    with bars:
        yield update


def describe(summary: DemoSummary, token: Callable[[str], str]) -> str:
    """The counts and, for each demo user, its email and an Authorization header."""
    width = max(len(label) for label in LABELS.values())
    lines = [
        f"demo book written in {summary.seconds:.1f}s (seed {summary.seed}; dates relative to "
        f"{summary.today.isoformat()})"
    ]
    lines += [f"  {LABELS[kind]:<{width}}  {count:>9,}" for kind, count in summary.counts.items()]
    users = [
        ("agency admin (top agency)", summary.admin_email),
        ("sub-agency admin", summary.subadmin_email),
        ("agent (holds the showcase clients and policies)", summary.agent_email),
    ]
    lines.append("sign in as:")
    for role, email in users:
        if email is not None:
            lines += [f"  {role}: {email}", f"    Authorization: Bearer {token(email)}"]
    return "\n".join(lines)
