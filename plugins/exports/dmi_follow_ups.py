"""dmi_follow_ups: Data Matching Issues due from two months before today on (exports.md)."""

from downline.plugins import provide, verification_export

DMI_FOLLOW_UPS = verification_export("dmi", "Data Matching Issue")


downline_export_types = provide(DMI_FOLLOW_UPS)
