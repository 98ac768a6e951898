"""client_follow_ups: the open follow-ups of the clients in scope, one row each, so agents can
work them until the client effectuates (docs/domain.md). Archived clients are left out."""

from sqlalchemy import select

from downline import plugins as kit

C = kit.models.Client

F = kit.models.ClientFollowUp

CELLS = (
    *kit.CONTACT,
    kit.cell("follow_up_type", "What to follow up on.", F.type),
    kit.cell("due_date", "When the follow-up is due.", F.due_date, kind="date"),
    kit.cell("note", "The follow-up's note.", F.note),
    *kit.WRITING_AGENT,
)


def rows(ctx: kit.ExportContext):
    start = select(F).join(C, C.id == F.client_id)
    order = (F.due_date.asc().nulls_last(), C.id, F.id)
    return kit.scoped_rows(ctx, F.done.is_(False), C.archived.is_(False), start=start, order=order)


CLIENT_FOLLOW_UPS = kit.export_type(
    key="client_follow_ups",
    title="Client follow-ups",
    description="The contacts list of open client follow-ups, soonest due first.",
    scopes=kit.BOTH,
    cells=CELLS,
    rows=rows,
)


downline_export_types = kit.provide(CLIENT_FOLLOW_UPS)
