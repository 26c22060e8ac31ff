"""Residents' reports: intake, the resident's own list, and reading one report."""
