"""The built-in export types, one module each (exports.md's catalogue)."""

from downline.plugins.exports import (
    agent_roster,
    aor_at_risk,
    client_follow_ups,
    clients,
    dmi_follow_ups,
    ede_permission_lost,
    enrollments,
    intake,
    invalid_action_tracker,
    leads,
    payouts_awaiting_consent,
    payouts_program_report,
    production,
    svi_follow_ups,
)

BUILTIN = [
    clients,
    enrollments,
    leads,
    client_follow_ups,
    aor_at_risk,
    ede_permission_lost,
    invalid_action_tracker,
    dmi_follow_ups,
    svi_follow_ups,
    agent_roster,
    payouts_awaiting_consent,
    payouts_program_report,
    intake,
    production,
]
