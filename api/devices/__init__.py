"""Residents' phones: the FCM registration tokens pushes are sent to."""
