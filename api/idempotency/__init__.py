"""Idempotent POSTs: mobile networks drop responses and apps retry; a retry must not duplicate."""
