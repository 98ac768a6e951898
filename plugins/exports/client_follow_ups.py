"""client_follow_ups: the open follow-ups of the clients in scope, one row each, so agents can
work them until the client effectuates (exports.md). Archived clients are left out."""

from sqlalchemy import select

from downline.plugins import (
    BOTH,
    CONTACT,
    WRITING_AGENT,
    ExportContext,
    cell,
    export_type,
    models,
    provide,
    scoped_rows,
)

C = models.Client

F = models.ClientFollowUp

CELLS = (
    *CONTACT,
    cell("follow_up_type", "What to follow up on.", F.type),
    cell("due_date", "When the follow-up is due.", F.due_date, kind="date"),
    cell("note", "The follow-up's note.", F.note),
    *WRITING_AGENT,
)


def rows(ctx: ExportContext):
    start = select(F).join(C, C.id == F.client_id)
    order = (F.due_date.asc().nulls_last(), C.id, F.id)
    return scoped_rows(ctx, F.done.is_(False), C.archived.is_(False), start=start, order=order)


CLIENT_FOLLOW_UPS = export_type(
    key="client_follow_ups",
    title="Client follow-ups",
    description="The contacts list of open client follow-ups, soonest due first.",
    scopes=BOTH,
    cells=CELLS,
    rows=rows,
)


downline_export_types = provide(CLIENT_FOLLOW_UPS)
