"""svi_follow_ups: SEP Verification Issues due from two months before today on (exports.md)."""

from downline.plugins import provide, verification_export

SVI_FOLLOW_UPS = verification_export("svi", "SEP Verification Issue")


downline_export_types = provide(SVI_FOLLOW_UPS)
