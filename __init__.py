"""downline: the back office of US health-insurance agencies."""
