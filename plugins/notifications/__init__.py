"""The built-in notification plugins. The plugin manager registers every module in `BUILTIN`,
exactly as it registers a third-party plugin."""

from downline.plugins.notifications import email

BUILTIN = [email]
