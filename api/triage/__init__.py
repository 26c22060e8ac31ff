"""Agency triage: the report workflow, deadlines, queues, corrections, duplicates, ratings."""
