"""schema/execution.py's shorter paths give what graphql-core's own path gives: the same data
and the same errors (message, path, locations), for plain fields and direct resolver calls,
nulls where non-null is declared, resolvers that raise or return awaitables, and the real
schema's lists."""

import asyncio
from collections.abc import AsyncGenerator
from enum import Enum
from types import SimpleNamespace

import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import Info

from downline.core import db
from downline.core.book.scope import load_principal
from downline.schema import make_schema
from downline.schema.context import Context
from downline.schema.execution import Execution
from downline.schema.plans import Call, Plain, plan, read_ahead
from tests.conftest import BOOK


@strawberry.enum
class Color(Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.interface
class Named:  # gives Leaf strawberry's type check (is_type_of)
    name: str


@strawberry.type
class Leaf(Named):
    name: str
    maybe: str | None
    color: Color
    broken: str  # None given: a non-null field that is null

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()

    @strawberry.field
    def fails(self) -> str | None:
        raise ValueError(f"no {self.name}")

    @strawberry.field
    def fails_hard(self) -> str:
        raise ValueError(f"never {self.name}")

    @strawberry.field
    def later(self, info: Info) -> str:
        async def wait() -> str:
            return f"{self.name} via {info.field_name}"

        return wait()

    @strawberry.field
    async def awaited(self) -> int:
        return len(self.name)

    @strawberry.field
    def with_arg(self, times: int = 2) -> str:
        return self.name * times

    @strawberry.field
    def parent_name(self, root: "Leaf") -> str:
        return root.name


@strawberry.type
class Holder:
    leaf: Leaf
    maybe_leaf: Leaf | None
    leaves: list[Leaf]
    broken_leaf: Leaf
    holey_leaves: list[Leaf] | None  # one of them None: the list is null, with an error
    maybe_leaves: list[Leaf | None]
    not_a_leaf: Leaf  # holds something else: strawberry's type check refuses it
    read_leaf: strawberry.Private[Leaf | None] = None

    @strawberry.field(metadata=read_ahead("read_leaf"))
    def ahead(self, info: Info) -> Leaf:
        return self.read_leaf or _leaf(f"resolved by {info.field_name}")


def _leaf(name: str, broken: str | None = "ok") -> Leaf:
    return Leaf(name=name, maybe=None, color=Color.BLUE, broken=broken)


@strawberry.type
class Query:
    @strawberry.field
    def holders(self) -> list[Holder]:
        return [
            Holder(
                leaf=_leaf(f"a{i}"),
                maybe_leaf=None if i % 2 else _leaf(f"m{i}"),
                leaves=[_leaf(f"l{i}{j}", None if (i, j) == (1, 1) else "ok") for j in range(3)],
                broken_leaf=None,  # type: ignore[arg-type]
                holey_leaves=[_leaf("h"), None],  # type: ignore[list-item]
                maybe_leaves=[None, _leaf("n")],
                not_a_leaf=SimpleNamespace(name="o"),  # type: ignore[arg-type]
                read_leaf=_leaf(f"r{i}") if i % 2 else None,
            )
            for i in range(3)
        ]


QUERIES = [
    "{ holders { leaf { name maybe color shout later awaited withArg parentName } } }",
    "{ holders { maybeLeaf { name } leaves { name color withArg(times: 3) } } }",
    "{ holders { leaves { name broken } } }",
    "{ holders { leaf { fails } } }",
    "{ holders { leaf { name failsHard } } }",
    "{ holders { brokenLeaf { name } } }",
    "{ holders { leaf { ... on Leaf { n: name, __typename } } } }",
    "{ holders { leaves { name awaited later } } }",
    "{ holders { leaves { awaited broken } } }",  # an item fails while others are awaiting
    "{ holders { holeyLeaves { name } maybeLeaves { name } } }",
    "{ holders { ahead { name shout awaited } } }",
    "{ holders { ahead { broken } } }",
    "{ holders { notALeaf { name } leaf { name } } }",
    # Whole selections of plain fields: filled by their shape (schema/shapes.py), unless an item
    # holds a null object (here maybeLeaf), which graphql-core's path answers.
    "{ holders { leaves { name maybe color } } }",
    "{ holders { leaves { n: name ... on Leaf { color } } } }",
]


def run(schema, query: str, context=None, variables=None) -> dict:
    result = asyncio.run(schema.execute(query, variable_values=variables, context_value=context))
    errors = [
        (e.message, e.path, [(x.line, x.column) for x in e.locations or ()])
        for e in result.errors or ()
    ]
    return {"data": result.data, "errors": sorted(errors, key=repr)}


def both(query: str) -> tuple[dict, dict]:
    fast = strawberry.Schema(query=Query, execution_context_class=Execution)
    plain = strawberry.Schema(
        query=Query, execution_context_class=StrawberryGraphQLCoreExecutionContext
    )
    return run(fast, query), run(plain, query)


# When a field fails while others are awaiting, graphql-core settles them in background tasks,
# which the test's event loop cancels as it closes: on either path.
@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
@pytest.mark.parametrize("query", QUERIES)
def test_the_short_paths_answer_and_fail_as_graphql_core_does(query):
    fast, plain = both(query)
    assert fast == plain


def test_a_list_of_plain_selections_is_filled_by_its_shape_unless_an_item_is_irregular(
    monkeypatch,
):
    import downline.schema.execution as execution

    filled = []

    def counted(shape, value):
        filled.append(value)
        return execution_fill(shape, value)

    execution_fill = execution.fill
    monkeypatch.setattr(execution, "fill", counted)
    fast, plain = both("{ holders { leaves { name maybe color } } }")
    assert fast == plain and len(filled) == 3 * 3  # every leaf of every holder
    filled.clear()
    # The second holder's second leaf holds a null `broken`: that list takes the field-by-field
    # path, whose error nulls every holder (the third is never completed).
    fast, plain = both("{ holders { leaves { name broken } } }")
    assert fast == plain and fast["errors"]
    assert [leaf.name for leaf in filled] == ["l00", "l01", "l02", "l10", "l11"]


def test_which_fields_take_which_path():
    schema = strawberry.Schema(query=Query)._schema
    leaf = schema.type_map["Leaf"]
    assert isinstance(plan(leaf, "name", True), Plain)
    assert isinstance(plan(leaf, "color", True), Plain)
    assert isinstance(plan(leaf, "shout", True), Call)
    assert isinstance(plan(leaf, "later", True), Call)
    assert isinstance(plan(leaf, "parentName", True), Call)
    assert plan(leaf, "withArg", True) is None  # arguments
    assert plan(leaf, "awaited", True) is None  # async
    assert plan(leaf, "name", False) is None  # exception handlers or another default resolver
    holder = schema.type_map["Holder"]
    assert isinstance(plan(holder, "leaf", True), Plain)
    leaves = plan(holder, "leaves", True)
    assert isinstance(leaves, Plain) and leaves.items is leaf  # a list of non-null objects
    # A null found among non-null items takes graphql-core's path then (QUERIES shows it).
    assert plan(holder, "holeyLeaves", True).items is leaf
    assert plan(holder, "maybeLeaves", True) is None  # nullable items: graphql-core's path
    ahead = plan(holder, "ahead", True)
    assert ahead == Plain("read_leaf", None, leaf, None, Leaf, None, holder.fields["ahead"].type)
    assert plan(leaf, "name", True).same is str  # a String's str is its own output


PAGES = [
    "{ clients(first: 20) { edges { cursor node { id firstName submittedAt ssnMasked exchange agent { name npn agency { name exportsAllowedForAgents } } } } pageInfo { hasNextPage endCursor } } }",
    "{ leads(first: 20) { edges { node { id lastName status agent { name agency { name parent { name } } } } } } }",
    '{ agency(id: "top") { name subAgencies { name parent { name } agents(first: 2) { totalCount edges { node { name agency { name } } } } } } }',
    "{ viewer { email role exportsAllowed agency { name } } downline(first: 10) { edges { node { name agency { name } } } } }",
]


@pytest.mark.parametrize("query", PAGES)
def test_the_real_schema_answers_the_same_either_way(database, load_book, query):
    assert not load_book(BOOK).rejections
    with db.session() as session:
        principal = load_principal(session, "admin@top.test")
    fast = make_schema()
    plain = make_schema()
    plain.execution_context_class = StrawberryGraphQLCoreExecutionContext
    answers = [run(s, query, Context(None, None, principal, None)) for s in (fast, plain)]
    assert answers[0] == answers[1]
    assert not answers[0]["errors"] and answers[0]["data"]


@strawberry.type
class Events:
    @strawberry.subscription
    async def holders(self, count: int) -> AsyncGenerator[Holder, None]:
        for holder in Query().holders()[:1] * count:
            yield holder


class Recorded(Execution):
    """Execution, remembering each executor graphql-core builds (not its per-event copies)."""

    made: list["Recorded"] = []

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.made.append(self)


def follow(execution_class, count: int) -> list[dict]:
    schema = strawberry.Schema(
        query=Query, subscription=Events, execution_context_class=execution_class
    )

    async def events() -> list[dict]:
        query = (
            "subscription($n: Int!) { holders(count: $n) { leaf { name shout } leaves { name } } }"
        )
        stream = await schema.subscribe(query, variable_values={"n": count})
        return [{"data": r.data, "errors": r.errors} async for r in stream]

    return asyncio.run(events())


def test_a_subscriptions_events_answer_as_graphql_core_does_from_one_plan():
    """Each event is executed by a copy of the subscription's executor, sharing its caches:
    they hold what the first event planned, no more after 40 events than after 1 (they grew by
    an entry an event, kept alive until the subscription ended)."""
    assert follow(Execution, 40) == follow(StrawberryGraphQLCoreExecutionContext, 40)

    sizes = []
    for count in (1, 40):
        Recorded.made.clear()
        follow(Recorded, count)
        (executor,) = Recorded.made
        caches = (executor._compiled, executor._selections, executor._relevant_sub_fields)
        sizes.append([len(cache) for cache in caches])
    assert sizes[0] == sizes[1] and all(sizes[0])
