"""The built-in export types, one module each, each written only against the public
`downline.plugins` and registered by the plugin manager exactly as a third-party plugin is."""
