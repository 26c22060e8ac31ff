"""Public views: what residents see of each other's reports (nearby, masking, redacted photos, area subscriptions)."""
