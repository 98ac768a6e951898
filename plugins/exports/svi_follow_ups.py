"""svi_follow_ups: SEP Verification Issues due from two months before today on (docs/domain.md)."""

from downline import plugins as kit

SVI_FOLLOW_UPS = kit.verification_export("svi", "SEP Verification Issue")


downline_export_types = kit.provide(SVI_FOLLOW_UPS)
