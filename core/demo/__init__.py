"""`downline demo`: a realistic, deterministic demo book of business, fast at any size.

`generate(bind, agencies=..., agents=..., clients=..., leads=..., policies=..., seed=...)` writes
a whole book (agency tree, agents, users, clients with their follow-ups, DMIs and SVIs, leads,
carrier policies, payouts) into an empty database and returns a `DemoSummary`. See `book.py` for
what it holds and why.
"""

from downline.core.demo.book import BookNotEmpty, DemoSummary, generate

__all__ = ["BookNotEmpty", "DemoSummary", "generate"]
