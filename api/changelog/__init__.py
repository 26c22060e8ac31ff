"""The report change log: one record per committed report change, for the data derived after commit."""
