"""The staff console: a browser page over the triage API (queue, map, report, actions)."""
