"""The agency tree: the closure table kept right, and "who is below whom".

The closure is rebuilt from the parent pointers whenever a load inserts or re-parents an
agency. One recursive CTE, inside the load's transaction, so readers see the old tree or the new
one, never half of each; at tens of thousands of agencies it takes well under a second.
"""

from sqlalchemy import delete, insert, literal, select
from sqlmodel import Session

from downline.core.models import Agency, AgencyClosure


def rebuild_closure(session: Session) -> None:
    tree = select(
        Agency.id.label("ancestor_id"), Agency.id.label("descendant_id"), literal(0).label("depth")
    ).cte("tree", recursive=True)
    child = select(tree.c.ancestor_id, Agency.id, tree.c.depth + 1).join(
        Agency, Agency.parent_id == tree.c.descendant_id
    )
    tree = tree.union_all(child)
    session.execute(delete(AgencyClosure))
    session.execute(
        insert(AgencyClosure).from_select(
            ["ancestor_id", "descendant_id", "depth"],
            select(tree.c.ancestor_id, tree.c.descendant_id, tree.c.depth),
        )
    )


def descendants_of(agency_ids) -> "select":
    """Every agency at or below any of `agency_ids` (a list or a subquery), as a subquery."""
    ancestor = AgencyClosure.ancestor_id
    if isinstance(agency_ids, list | tuple) and len(agency_ids) == 1:
        # One agency (a principal's scope): `=`, not an IN list that is rewritten at every run.
        return select(AgencyClosure.descendant_id).where(ancestor == agency_ids[0])
    return select(AgencyClosure.descendant_id).where(ancestor.in_(agency_ids))


def find_cycles(parents: dict[str, str | None]) -> set[str]:
    """The agencies that sit on (or hang below) a cycle of parent pointers."""
    bad: set[str] = set()
    ok: set[str] = set()
    for start in parents:
        path: list[str] = []
        seen: set[str] = set()
        node: str | None = start
        while node is not None and node not in ok and node not in bad:
            if node in seen:
                bad.update(path)
                break
            seen.add(node)
            path.append(node)
            node = parents.get(node)
        else:
            (bad if node in bad else ok).update(path)
    return bad
