"""Abuse limits kept in MongoDB, so they hold across every API process of a deployment."""
