"""Staff corrections of the classifier's routing, kept to retrain it (`phananh export-corrections`)."""
