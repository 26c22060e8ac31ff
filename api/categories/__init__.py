"""The category list the app shows residents when they pick one themselves."""
