"""A SecantusDB server of the test's own, which the test may stop, kill and restart."""

from collections.abc import Iterator

import pytest

from api.embedded import EmbeddedMongo


@pytest.fixture
def own_mongo(tmp_path) -> Iterator[EmbeddedMongo]:
    """Never the session's shared server: stopping that one would fail every later test."""
    server = EmbeddedMongo(tmp_path / "own-db", test_commands=True, sync_on_commit=True)  # as `phananh serve`
    server.start()
    yield server
    server.stop()
