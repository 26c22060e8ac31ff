"""Possible duplicates at intake, "me too" followers, and staff merging one report into another."""
