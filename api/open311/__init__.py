"""Open311 GeoReport v2 at ``/open311/v2/``: other cities' tools and civic apps file and read reports."""
