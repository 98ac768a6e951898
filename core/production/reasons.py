"""The `reason` of a reconciliation: one plain sentence a person can act on, per status, spelled in
SQL so that the API and the export (one SELECT, COPY on PostgreSQL) say the same words.

A policy the viewer may not see is never described beyond what its status already tells: the
sentence says another agent holds it, not whose NPN.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import ColumnElement, String, case, cast, func, literal

from downline.core.production.vocabulary import ReconciliationStatus as S

# What each termination reason means and what to do about it (docs/domain.md), to follow
# "<carrier> ended this policy on <day>: ".
ENDINGS = {
    "DENIED": "the carrier denied it for an error in the application; find the error and re-enroll",
    "WITHDRAWN": "the member withdrew before CMS accepted it",
    "CANCELED": "the member cancelled after CMS accepted it, before the effective date",
    "PLAN_CHANGE": "the member changed to a new plan; if that was not intended, reach out",
    "PLAN_EXIT": "the plan no longer exists where the member lives; reach out and review new plans",
}
UNNAMED_ENDING = "the carrier gives no reason downline knows; ask the carrier why"


@dataclass(frozen=True)
class Facts:
    """The columns a reason is told from (all of one application's row)."""

    carrier_written: ColumnElement  # the client's carrier, as written
    carrier_named: ColumnElement  # how many plugins that names (NULL: none)
    carrier_title: ColumnElement  # the named plugin's name
    agent_name: ColumnElement
    agent_npn: ColumnElement
    policy_shown: ColumnElement  # the viewer may see the matched policy
    policy_npn: ColumnElement
    policy_status: ColumnElement
    effective: ColumnElement
    term: ColumnElement
    term_reason: ColumnElement
    reported_as_of: ColumnElement  # the carrier's newest report in the tenant
    submitted: ColumnElement  # the submission's day
    awaited: ColumnElement  # the as-of from which a report should list it


def _text(*parts) -> ColumnElement:
    """Parts (str or non-NULL text expressions) joined with ||."""
    pieces = [literal(p, String) if isinstance(p, str) else p for p in parts]
    joined = pieces[0]
    for piece in pieces[1:]:
        joined = joined.op("||")(piece)
    return joined


def _day(expr) -> ColumnElement:
    return cast(expr, String)


def _on(prefix: str, day) -> ColumnElement:
    """ " on 2026-03-31" (or nothing without a day)."""
    return func.coalesce(_text(prefix, _day(day)), "")


def reason(when: Mapping[S, ColumnElement], f: Facts) -> ColumnElement:
    """The sentence of each status, under the same conditions, in the same order, as the status
    itself (`when`: each status but AWAITING_CARRIER, the last, with its condition)."""
    title, agent = f.carrier_title, _text(f.agent_name, "'s ", f.agent_npn)
    quoted = _text("“", func.coalesce(f.carrier_written, ""), "”")
    no_feed = case(
        (
            func.coalesce(f.carrier_written, "") == "",
            "No carrier is written on this application, so no carrier report can confirm it.",
        ),
        (
            f.carrier_named > 1,
            _text(
                quoted,
                " could name more than one carrier downline reads reports of; write "
                "the carrier's full name on the application.",
            ),  # fmt: skip
        ),
        else_=_text(
            "downline reads no carrier reports for ",
            quoted,
            "; install that carrier's plugin, or correct the carrier's name on the application.",
        ),  # fmt: skip
    )
    elsewhere = case(
        (f.policy_shown, _text(title, " lists this policy under NPN ", f.policy_npn, ", not ")),
        else_=_text(title, " lists this policy under another agent's NPN, not "),
    )
    ending = case(
        *((f.term_reason == key, words) for key, words in ENDINGS.items()), else_=UNNAMED_ENDING
    )
    ended = case(
        (
            f.policy_status == "DECEASED",
            _text(title, " lists the member as deceased", _on(" as of ", f.term), "."),
        ),
        else_=_text(title, " ended this policy", _on(" on ", f.term), ": ", ending, "."),
    )
    sentences = {
        S.NO_CARRIER_FEED: no_feed,
        S.AGENT_OF_RECORD_ELSEWHERE: _text(elsewhere, agent, "."),
        S.EFFECTUATED: _text(title, " lists this policy as active since ", _day(f.effective), "."),
        S.PENDING: _text(
            title, " has approved this policy; it takes effect on ", _day(f.effective), "."
        ),
        S.ENDED: ended,
        S.UNKNOWN: _text(
            title, " lists this policy without saying whether it is in effect; ask ", title, "."
        ),
        S.NOT_IN_CARRIER_REPORTS: _text(
            title,
            "'s report as of ",
            _day(f.reported_as_of),
            " does not list this application, submitted ",
            _day(f.submitted),
            "; check it with ",
            title,
            ".",
        ),  # fmt: skip
    }
    awaiting = _text(
        "No ", title, " report as of ", _day(f.awaited), " or later has come in yet; it "
        "should list this application, submitted ", _day(f.submitted), ".",
    )  # fmt: skip
    return case(*((condition, sentences[s]) for s, condition in when.items()), else_=awaiting)
