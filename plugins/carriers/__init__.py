"""The built-in carrier plugins, one module per carrier, each written only against the public
`downline.plugins` and registered by the plugin manager exactly as a third-party plugin is."""
