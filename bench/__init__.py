"""Benchmarks (each a script: ``python bench/<name>.py``) and the local stand-ins they share with
the tests (``fcm_stand_in``: FCM v1 + OAuth on 127.0.0.1, since Firebase is unreachable here)."""
