"""Operator endpoints (admins only): the notification outbox's dead letters."""
