"""`phananh apikey create|list|revoke` against the real database; the key works over HTTP."""

from api.cli import main
from tests.factories import open311_form


def test_create_list_revoke(client, settings, monkeypatch, capsys):
    monkeypatch.setenv("PHANANH_MONGODB_URI", settings.mongodb_uri)
    monkeypatch.setenv("PHANANH_DATABASE_NAME", settings.database_name)

    assert main(["apikey", "create", "--name", "Civic App"]) == 0
    printed = capsys.readouterr().out.strip()
    key = printed.split()[-1]
    key_id = printed.split()[2]
    assert key.startswith("o311_") and len(key) > 40
    assert client.post("/open311/v2/requests.json", data=open311_form(key)).status_code == 201

    assert main(["apikey", "list"]) == 0
    listing = capsys.readouterr().out
    assert key_id in listing and "active" in listing and "Civic App" in listing and key not in listing

    assert main(["apikey", "revoke", key_id]) == 0
    assert main(["apikey", "revoke", key_id]) == 1  # already revoked
    assert client.post("/open311/v2/requests.json", data=open311_form(key)).status_code == 403


def test_keys_are_stored_hashed(client, settings, sync_db, monkeypatch, capsys):
    monkeypatch.setenv("PHANANH_MONGODB_URI", settings.mongodb_uri)
    monkeypatch.setenv("PHANANH_DATABASE_NAME", settings.database_name)
    assert main(["apikey", "create", "--name", "Org"]) == 0
    key = capsys.readouterr().out.split()[-1]
    [stored] = sync_db.open311_api_keys.find()
    assert key not in str(stored) and len(stored["key_sha256"]) == 64
