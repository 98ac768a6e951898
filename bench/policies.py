"""The bench's carrier production: the demo book's policies (core/demo/policies.py, drawn for the
bench book's agents) written once with COPY straight into `policy`, then reused: a
`bench_policies` table records how many were fully written (the book's own marker, dropped with
it, says the rest)."""

import threading
from datetime import date
from queue import Queue

import common

DRAW = 5000  # policies drawn (and sent) at a time


def ensure_policies(count: int) -> tuple[bool, float]:
    """`count` demo policies in `policy` (and nothing else), written once: (reused, seconds)."""
    what = f"{count:,} demo policies"
    return common.ensure_policies("bench_policies", count, write_policies, what)


def write_policies(conn, count: int) -> None:
    """Empty `policy` and COPY `count` demo policies into it (drawn in a thread ahead of the
    COPY), in one transaction."""
    from downline.core.demo.policies import Production
    from downline.core.demo.rows import Book

    book = Book(common.SEED, date.today(), common.AGENCIES, common.AGENTS)
    agents = dict(conn.execute("SELECT id, npn FROM agent").fetchall())
    drawn = {a["id"]: a["npn"] for a in book.agents}
    if drawn != agents:
        raise SystemExit("the bench book's agents are not the demo's: regenerate the book")
    production = Production(book)
    columns = list(production.chunk(0, 1)[0])
    chunks: Queue = Queue(maxsize=4)

    def draw() -> None:
        for start in range(0, count, DRAW):
            chunks.put(production.chunk(start, min(start + DRAW, count)))
        chunks.put(None)

    drawer = threading.Thread(target=draw, daemon=True)
    drawer.start()
    conn.execute("DELETE FROM policy")
    done, shown = 0, 0
    with conn.cursor() as cur, cur.copy(f"COPY policy ({', '.join(columns)}) FROM STDIN") as copy:
        while (chunk := chunks.get()) is not None:
            for row in chunk:
                copy.write_row([row[c] for c in columns])
            done += len(chunk)
            if done * 10 // count > shown:
                shown = done * 10 // count
                print(f"     policies: {done:,}/{count:,}", flush=True)
    conn.commit()
    drawer.join()
