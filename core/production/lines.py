"""The lines of a downline roll-up: production grouped by what sits directly under one agency
(the root).

A policy's line is found from the agency it belongs to (its matched agent's, else, unmatched, the
agency owning the row), through the closure table, so any depth costs the same two joins:
- `below`: the closure row from the root down to that agency, which says how deep below the
  root it sits (an agency outside the root's downline has none: its policies are left out);
- `head`: the ancestor of the agent's agency one step below the root, which is the direct
  sub-agency holding the policy (none when the agent sits in the root itself).
An agent directly in the root is a line of its own; an unmatched policy is in the unmatched line
(both null) wherever its owner sits. Hierarchy is read at query time, so re-parenting a
sub-agency moves its production at once. An agent user's root is its own agency, and its only
line its own agent.
"""

from sqlalchemy import Select, and_, case, exists, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from downline.core.book.scope import Principal
from downline.core.errors import NotFound
from downline.core.models import AgencyClosure


def root_of(session: Session, principal: Principal, downline_of: str | None) -> str:
    """The agency whose lines are asked for: the viewer's own by default. One outside the
    viewer's scope is NOT_FOUND, as an unknown one is (an agent user may name only its own)."""
    if downline_of is None or downline_of == principal.agency_id:
        return principal.agency_id
    if principal.is_admin:
        below_viewer = exists().where(
            AgencyClosure.ancestor_id == principal.agency_id,
            AgencyClosure.descendant_id == downline_of,
        )
        if session.scalar(select(below_viewer)):
            return downline_of
    raise NotFound(f"no agency {downline_of!r}", field="downlineOf")


class Lines:
    """The line columns of a summary under `root`, for a query over the policies joined to their
    matched agent (`matched`, an alias of Agent) and reading the agency each belongs to
    (`agency`, a column expression)."""

    def __init__(self, root: str, matched, agency) -> None:
        self.root = root
        self.matched = matched
        self.agency = agency
        self.below = aliased(AgencyClosure, name="below_root")
        self.head = aliased(AgencyClosure, name="line_head")

    def joined(self, query: Select) -> Select:
        """`query` kept to the root's downline, with what the line columns read."""
        below, head, matched = self.below, self.head, self.matched
        query = query.join(
            below, and_(below.ancestor_id == self.root, below.descendant_id == self.agency)
        )
        one_step_below_root = and_(
            matched.id.is_not(None),
            head.descendant_id == matched.agency_id,
            head.depth == below.depth - 1,
        )
        return query.outerjoin(head, one_step_below_root)

    @property
    def sub_agency(self):
        """The direct sub-agency holding the policy's agent; null for the other lines."""
        return self.head.ancestor_id

    @property
    def agent(self):
        """The policy's agent when it sits directly in the root; null for the other lines."""
        return case((self.below.depth == 0, self.matched.id))
