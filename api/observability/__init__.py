"""Metrics, structured logs and request ids: what operators see of a running service."""
