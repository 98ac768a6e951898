"""The built-in carrier plugins, one module per carrier (carriers/FORMATS.md). The plugin manager
registers every module in `BUILTIN`, exactly as it registers a third-party plugin."""

import importlib

KEYS = (
    "aetna",
    "alignment",
    "anthem",
    "banner",
    "bnd",
    "central_health_plan",
    "cigna",
    "devoted",
    "freedom",
    "healthsun",
    "humana",
    "memorial_hermann",
    "molina",
    "scan",
    "uhc",
    "wellcare",
    "zing",
)

BUILTIN = [importlib.import_module(f"{__name__}.{key}") for key in KEYS]
