"""Text to category: the report classifier, its training and evaluation, and routing data."""
