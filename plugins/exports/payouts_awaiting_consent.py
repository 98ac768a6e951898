"""payouts_awaiting_consent: Enrollee Assistance Program (EAP) submissions whose payout waits for
consent documentation (exports.md); oldest submission first."""

from sqlalchemy import select

from downline.plugins import (
    AGENCY_ONLY,
    WRITING_AGENT,
    ExportContext,
    cell,
    client_cells,
    export_type,
    models,
    provide,
    scoped_rows,
)

C = models.Client

P = models.Payout

CELLS = (
    cell("payout_id", "downline's id of the payout.", P.id),
    *client_cells("client_id", "first_name", "last_name", "application_id"),
    cell(
        "submitted_at", "When the EAP submission was made (UTC).", P.submitted_at, kind="datetime"
    ),
    cell("amount", "The payout waiting for consent.", P.amount, kind="money"),
    *WRITING_AGENT,
)


def rows(ctx: ExportContext):
    start = select(P).join(C, C.id == P.client_id)
    # Not uploaded: false, or never said.
    waiting = (P.kind == "eap", P.consent_uploaded.is_not(True))
    order = (P.submitted_at.asc().nulls_last(), P.id)
    return scoped_rows(ctx, *waiting, start=start, agent_id=P.agent_id, order=order)


PAYOUTS_AWAITING_CONSENT = export_type(
    key="payouts_awaiting_consent",
    title="Payouts awaiting consent",
    description="Enrollee Assistance Program (EAP) submissions whose payout waits for consent "
    "documentation.",
    scopes=AGENCY_ONLY,
    cells=CELLS,
    rows=rows,
)


downline_export_types = provide(PAYOUTS_AWAITING_CONSENT)
