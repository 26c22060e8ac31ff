"""Photos: the Pillow pipeline that makes uploads safe to store, and where they are stored."""
