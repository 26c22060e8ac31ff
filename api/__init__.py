"""phananh HTTP service: residents' report intake, triage, notifications and statistics."""
