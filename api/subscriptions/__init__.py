"""Area subscriptions: a digest push when public reports in a ward or a circle are resolved."""
