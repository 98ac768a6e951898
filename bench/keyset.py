"""Keyset paging: page 1 vs page 1000 of `clients(first: 50)` on a large demo book (PostgreSQL).

Measured through the real query path: the GraphQL query runs in the ASGI app (httpx's
ASGITransport, a bearer token), for the top agency's admin (the whole book) and for the agent
user holding the most clients. Page 1000's cursor is reached once by walking the list (pages of
500: a cursor is the same whatever the page size), then page 1 and page 1000 are timed in
alternation. Prints the medians, the ratio page1000/page1 (target <= 1.2) and EXPLAIN ANALYZE of
the SQL behind page 1000.

    .venv/bin/python bench/keyset.py [--clients 1000000] [--repeat 30] [--page 1000]
"""

import argparse
import asyncio
import math
import re
import sys
import time

import common

QUERY = """
query Page($first: Int!, $after: String) {
  clients(first: $first, after: $after) {
    edges { cursor node { id firstName lastName submittedAt } }
    pageInfo { hasNextPage endCursor }
  }
}"""
COUNT = "{ clients(first: 0) { totalCount } }"
WALK = """
query Walk($first: Int!, $after: String) {
  clients(first: $first, after: $after) { pageInfo { hasNextPage endCursor } }
}"""
TARGET = 1.2
WHO = {"admin": "top agency admin", "agent": "agent user (the biggest book)"}
WALK_STEP = 500  # the API's largest page


async def gql(client, token: str, query: str, variables: dict | None = None) -> dict:
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise SystemExit(f"GraphQL failed ({response.status_code}): {body}")
    return body["data"]


async def cursor_before(client, token: str, rows: int) -> str | None:
    """The cursor after the first `rows` rows (None for rows == 0), walking pages of 500."""
    cursor, left = None, rows
    while left > 0:
        step = min(WALK_STEP, left)
        data = await gql(client, token, WALK, {"first": step, "after": cursor})
        cursor = data["clients"]["pageInfo"]["endCursor"]
        left -= step
    return cursor


async def measure(client, who: str, email: str, args) -> dict:
    token = common.mint_token(email)
    total = (await gql(client, token, COUNT))["clients"]["totalCount"]
    pages = max(1, math.ceil(total / args.first))
    page = min(args.page, pages)
    started = time.perf_counter()
    deep = await cursor_before(client, token, (page - 1) * args.first)
    walk_s = time.perf_counter() - started
    print(
        f"\n{WHO[who]}: {email}\n  {total:,} clients visible ({pages:,} pages of {args.first}); "
        f"page {page:,}'s cursor reached in {walk_s:.1f}s"
    )
    if page < args.page:
        print(f"  (only {pages:,} pages: measuring the last page, {page:,}, as the deep page)")
    first, deep_sw = common.Stopwatch(), common.Stopwatch()
    for _ in range(3):  # warm-up: pool, caches, prepared statements
        await gql(client, token, QUERY, {"first": args.first, "after": None})
        await gql(client, token, QUERY, {"first": args.first, "after": deep})
    for _ in range(args.repeat):
        with first:
            await gql(client, token, QUERY, {"first": args.first, "after": None})
        with deep_sw:
            data = await gql(client, token, QUERY, {"first": args.first, "after": deep})
    assert len(data["clients"]["edges"]) > 0, "the deep page is empty"
    ratio = deep_sw.ms() / first.ms()
    print(f"  page 1      median {first.ms():7.2f} ms   p95 {first.ms(95):7.2f} ms")
    print(f"  page {page:<6,} median {deep_sw.ms():7.2f} ms   p95 {deep_sw.ms(95):7.2f} ms")
    print(f"  page {page}/page 1 = {ratio:.2f}")
    plan_1 = explain(email, None, args.first)
    plan_n = explain(email, deep, args.first)
    print(f"  EXPLAIN ANALYZE, page 1: {plan_summary(plan_1)}")
    print(f"  EXPLAIN ANALYZE, page {page}: {plan_summary(plan_n)}")
    if args.sql:
        print("  SQL:", condensed(plan_n["statement"]))
        print("  parameters:", plan_n["parameters"])
    print("  plan at page", page)
    for line in plan_n["plan"]:
        print("   ", line)
    seq = scans_table(plan_1) or scans_table(plan_n)
    if seq:
        print("  WARNING: the page query scans the whole client table: no index serves the order")
    return {"who": who, "page": page, "ratio": ratio, "page1_ms": first.ms(), "seq": seq}


def explain(email: str, after: str | None, first: int) -> dict:
    """EXPLAIN ANALYZE of the very statement `fetch_page` sends for this page."""
    from sqlalchemy import event

    from downline.core import db
    from downline.core.book import clients, paging
    from downline.core.book.scope import load_principal

    engine = db.get_engine()
    captured: list[tuple[str, dict]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if "LIMIT" in statement and "count(" not in statement:
            captured.append((statement, parameters))

    with db.session() as session:
        principal = load_principal(session, email)
        event.listen(engine, "before_cursor_execute", capture)
        try:
            query = clients.clients_query(principal, clients.ClientFilter())
            paging.fetch_page(session, query, clients.ORDER, first, after)
        finally:
            event.remove(engine, "before_cursor_execute", capture)
    statement, parameters = captured[-1]
    with engine.connect() as conn:
        plan = [
            row[0] for row in conn.exec_driver_sql("EXPLAIN ANALYZE " + statement, parameters).all()
        ]
    return {"statement": statement, "parameters": parameters, "plan": plan}


def plan_summary(explained: dict) -> str:
    plan = explained["plan"]
    top = plan[0].split("  (")[0].strip()
    indexes = sorted(set(re.findall(r" using (\w+)", " ".join(plan))))
    removed = sum(int(n) for n in re.findall(r"Rows Removed by Filter: (\d+)", " ".join(plan)))
    execution = next((line.split(":")[1].strip() for line in plan if "Execution Time" in line), "?")
    return (
        f"{execution}; top node {top}; indexes {', '.join(indexes) or 'none'}; "
        f"rows removed by filter {removed:,}"
    )


def scans_table(explained: dict) -> bool:
    """Whether the plan reads the whole client table (no index gives the keyset order)."""
    return any("Seq Scan on client" in line for line in explained["plan"])


def condensed(statement: str) -> str:
    """The statement with its long column list shortened to `client.*`."""
    sql = re.sub(r"^SELECT .*? FROM client\b", "SELECT client.* FROM client", statement, flags=re.S)
    return " ".join(sql.split())


def client_indexes() -> list[str]:
    """The indexes of table `client` whose key includes submitted_at (the keyset order)."""
    from sqlalchemy import text

    from downline.core import db

    with db.get_engine().connect() as conn:
        rows = conn.execute(
            text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'client' "
                "AND indexdef LIKE '%submitted_at%' ORDER BY indexname"
            )
        ).all()
    return [f"{name} ({definition.split(' USING btree ')[-1]})" for name, definition in rows]


async def run(args, book: common.BenchBook) -> list[dict]:
    import httpx

    from downline.server.app import create_app

    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        results = []
        for who, email in (("admin", book.admin_email), ("agent", book.agent_email)):
            results.append(await measure(client, who, email, args))
        return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=common.default_clients())
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--page", type=int, default=1000)
    parser.add_argument("--first", type=int, default=50)
    parser.add_argument("--sql", action="store_true", help="also print the page SQL")
    args = parser.parse_args()
    common.header(
        f"keyset paging: clients page 1 vs page {args.page:,} (first: {args.first})",
        f"database {common.bench_url()}",
    )
    book = common.ensure_book(args.clients)
    print(f"   book: {book.shape} ({'reused' if book.reused else 'generated'})")
    indexes = client_indexes()
    print(f"   client indexes on submitted_at: {'; '.join(indexes) or 'NONE'}")
    results = asyncio.run(run(args, book))
    worst = max(r["ratio"] for r in results)
    figures = ", ".join(f"{r['ratio']:.2f} {r['who']}" for r in results)
    seq = [r["who"] for r in results if r["seq"]]
    plan = f"Seq Scan on client ({', '.join(seq)})" if seq else "index scans"
    common.verdict(
        "keyset",
        (f"page{args.page}/page1 = {figures}", f"<= {TARGET}", worst <= TARGET),
        (f"plan: {plan}", "an index scan in keyset order", not seq),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
