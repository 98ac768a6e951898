"""The built-in notification plugins (email), registered by the plugin manager exactly as a
third-party plugin is."""
