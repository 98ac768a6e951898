"""dmi_follow_ups: Data Matching Issues due from two months before today on (docs/domain.md)."""

from downline import plugins as kit

DMI_FOLLOW_UPS = kit.verification_export("dmi", "Data Matching Issue")


downline_export_types = kit.provide(DMI_FOLLOW_UPS)
