"""Push notifications to residents' phones (Firebase Cloud Messaging): outbox, worker, senders."""
