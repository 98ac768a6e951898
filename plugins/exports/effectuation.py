"""effectuation: one row per application of the `reconciliation` list under the same filter, in
its order, with its status, the reason in words and the matched policy (docs/domain.md). The
policy's columns are empty where the requester may not see that policy; its status stands."""

from downline import plugins as kit

C = kit.models.Client

COLUMNS = (
    kit.ExportColumn("client_id", "downline's id of the client (application)."),
    kit.ExportColumn("first_name", "Client's first name."),
    kit.ExportColumn("last_name", "Client's last name."),
    *kit.AGENT_COLUMNS,
    kit.ExportColumn("carrier", "The carrier as written on the application."),
    kit.ExportColumn("carrier_key", "The carrier plugin it names; empty for NO_CARRIER_FEED."),
    kit.ExportColumn("plan_name", "Plan name on the application."),
    kit.ExportColumn(
        "submitted_at", "Last time the application was submitted (UTC).", kind="datetime"
    ),
    kit.ExportColumn(
        "status",
        "NO_CARRIER_FEED, AGENT_OF_RECORD_ELSEWHERE, EFFECTUATED, PENDING, ENDED, UNKNOWN, "
        "NOT_IN_CARRIER_REPORTS or AWAITING_CARRIER.",
    ),
    kit.ExportColumn("reason", "Why, in one sentence to act on."),
    kit.ExportColumn("policy_id", "The carrier's id of the matched policy."),
    kit.ExportColumn("policy_status", "APPROVED, ACTIVE, ATTRITED, DECEASED, ..."),
    kit.ExportColumn("policy_npn", "The NPN the carrier lists the policy under."),
    kit.ExportColumn("effective_date", "The policy's coverage start.", kind="date"),
    kit.ExportColumn("term_date", "The policy's coverage end.", kind="date"),
    kit.ExportColumn("term_reason", "Why the policy ended (DENIED, PLAN_CHANGE, ...)."),
    kit.ExportColumn("guidance", "What the agent should do about that reason."),
)


def query(ctx: kit.ExportContext):
    """The reconciliation list's own SELECT, its cells picked from it, in its order."""
    r = kit.reconciled(ctx.principal, kit.reconciliation_filter(ctx.params))
    P = r.policy  # the matched policy: shown where the requester may see it
    cells = (
        *(C.id, C.first_name, C.last_name, r.agent.name, r.agent.npn),
        *(C.carrier, r.carrier_key, C.plan_name, C.submitted_at, r.status, r.reason),
        *(r.shown(column) for column in (P.carrier_policy_id, P.status, P.agent_npn)),
        *(r.shown(column) for column in (P.effective_date, P.term_date, P.term_reason)),
        r.guidance(),
    )
    return r.select(*cells)


def count(ctx: kit.ExportContext):
    return kit.reconciliations_counted(ctx.principal, kit.reconciliation_filter(ctx.params))


EFFECTUATION = kit.ExportType(
    key="effectuation",
    title="Effectuation",
    description="Submitted applications against carrier policies: which became paying "
    "policies, which are slipping, which never arrived.",
    scopes=kit.BOTH,
    parameters=kit.RECONCILIATION_FILTER,
    columns=COLUMNS,
    query=query,
    count=count,
)


downline_export_types = kit.provide(EFFECTUATION)
