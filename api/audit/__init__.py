"""The append-only audit trail of every staff action on a report."""
