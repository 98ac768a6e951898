"""The bench's carrier production: the demo book's policies (core/demo/policies.py, drawn for the
bench book's agents) written once with COPY straight into `policy`, then reused: a
`bench_policies` table records how many were fully written (the book's own marker, dropped with
it, says the rest)."""

import threading
import time
from datetime import date
from queue import Queue

import common

DRAW = 5000  # policies drawn (and sent) at a time


def ensure_policies(count: int) -> tuple[bool, float]:
    """`count` demo policies in `policy` (and nothing else): reused when the marker and the row
    count agree, else the table is emptied and rewritten. (reused, seconds to write)."""
    with common.raw_connect() as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (common.LOCK_KEY,))
        try:
            marker = conn.execute("SELECT to_regclass('public.bench_policies')").fetchone()[0]
            written = None
            if marker is not None:
                row = conn.execute("SELECT policies FROM bench_policies").fetchone()
                written = row[0] if row else None
            present = conn.execute("SELECT count(*) FROM policy").fetchone()[0]
            conn.commit()
            if written == count and present == count:
                return True, 0.0
            print(
                f"   writing {count:,} demo policies into policy "
                f"(it holds {present:,}; marker: {written if written is not None else 'none'}) ..."
            )
            started = time.perf_counter()
            write_policies(conn, count)
            seconds = time.perf_counter() - started
            print(f"   written in {seconds:.0f}s; VACUUM ANALYZE policy ...", flush=True)
            conn.execute("DROP TABLE IF EXISTS bench_policies")
            conn.execute("CREATE TABLE bench_policies (policies bigint, seconds float)")
            conn.execute("INSERT INTO bench_policies VALUES (%s, %s)", (count, seconds))
            conn.commit()
            conn.autocommit = True
            conn.execute("VACUUM ANALYZE policy")
            return False, time.perf_counter() - started
        finally:
            conn.rollback()
            conn.autocommit = True
            conn.execute("SELECT pg_advisory_unlock(%s)", (common.LOCK_KEY,))


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
