"""payouts_awaiting_consent: Enrollee Assistance Program (EAP) submissions whose payout waits for
consent documentation (docs/domain.md); oldest submission first."""

from sqlalchemy import select

from downline import plugins as kit

C = kit.models.Client

P = kit.models.Payout

CELLS = (
    kit.cell("payout_id", "downline's id of the payout.", P.id),
    *kit.client_cells("client_id", "first_name", "last_name", "application_id"),
    kit.cell(
        "submitted_at", "When the EAP submission was made (UTC).", P.submitted_at, kind="datetime"
    ),
    kit.cell("amount", "The payout waiting for consent.", P.amount, kind="money"),
    *kit.WRITING_AGENT,
)


def rows(ctx: kit.ExportContext):
    start = select(P).join(C, C.id == P.client_id)
    # Not uploaded: false, or never said.
    waiting = (P.kind == "eap", P.consent_uploaded.is_not(True))
    order = (P.submitted_at.asc().nulls_last(), P.id)
    return kit.scoped_rows(ctx, *waiting, start=start, agent_id=P.agent_id, order=order)


PAYOUTS_AWAITING_CONSENT = kit.export_type(
    key="payouts_awaiting_consent",
    title="Payouts awaiting consent",
    description="Enrollee Assistance Program (EAP) submissions whose payout waits for consent "
    "documentation.",
    scopes=kit.AGENCY_ONLY,
    cells=CELLS,
    rows=rows,
)


downline_export_types = kit.provide(PAYOUTS_AWAITING_CONSENT)
