"""Reply templates and rejection reasons as data: served to staff, filled in for a report, never sent."""

import json

import pytest

from api.stats.metrics import REJECTION_REASONS
from api.triage.tables import TriageTables
from classifiers.routing.taxonomy import Taxonomy
from core.settings import Settings
from tests.factories import file_report, staff_headers

POTHOLE = "Ổ gà rất to giữa đường Hàng Bài, xe máy ngã liên tục"


def test_templates_of_a_category_and_status_come_first_then_the_general_ones(client):
    answer = client.get(
        "/v1/triage/templates?category=road_damage&status=resolved",
        headers=staff_headers("agency_staff", "construction_dept"),
    ).json()
    assert [t["key"] for t in answer["templates"]] == ["road_repaired", "resolved"]
    assert set(answer["placeholders"]) == {"code", "agency", "due", "ward"}
    assert all(t["rendered"] is None and "{code}" in t["vi"] + t["en"] for t in answer["templates"])


def test_for_a_report_they_come_filled_in_and_nothing_is_sent(client, sync_db):
    report = file_report(client, POTHOLE)
    staff = staff_headers("agency_staff", "construction_dept")
    before = sync_db.reports.find_one({"code": report["code"]})
    answer = client.get(f"/v1/triage/templates?status=in_progress&report_id={report['id']}", headers=staff).json()
    inspected = answer["templates"][0]
    assert inspected["key"] == "road_inspected"  # the report's category, without asking for it
    vi = inspected["rendered"]["vi"]
    assert report["code"] in vi and "Sở Xây dựng Hà Nội" in vi and report["ward"]["name"] in vi and "{" not in vi
    assert sync_db.reports.find_one({"code": report["code"]}) == before
    other = client.get(
        f"/v1/triage/templates?report_id={report['id']}", headers=staff_headers("agency_staff", "urenco")
    )
    assert other.status_code == 404  # another agency's report stays invisible


def test_the_rejection_reasons_are_listed_in_the_callers_language(client):
    answer = client.get(
        "/v1/triage/rejection-reasons", headers={**staff_headers("triage_officer"), "Accept-Language": "en"}
    ).json()
    assert [r["code"] for r in answer["reasons"]] == list(REJECTION_REASONS)
    assert answer["reasons"][0] == {
        "code": "not_in_remit",
        "name": "Not within this agency's remit",
        "redirect": "required",
    }
    assert "court" in answer["channels"]


@pytest.fixture
def tables_args():
    settings = Settings(mongodb_uri="mongodb://unused")
    return settings, Taxonomy.load(settings.taxonomy_file)


def test_the_shipped_tables_load_and_cover_every_category(tables_args):
    settings, taxonomy = tables_args
    tables = TriageTables.load(
        settings.proof_file, settings.rejection_reasons_file, settings.reply_templates_file, taxonomy
    )
    assert set(tables.proof) == set(taxonomy.categories)
    assert {c for c, on in tables.proof.items() if on} == {
        "road_damage",
        "street_lighting",
        "trees_parks",
        "waste_sanitation",
        "flooding_drainage",
        "traffic_signal_sign",
        "sidewalk_encroachment",
        "illegal_construction",
    }
    assert not any(tables.proof[c] for c in ("noise", "public_security", "food_safety_health", "other"))


@pytest.mark.parametrize(
    "file, change",
    [
        ("proof_file", lambda d: d["categories"].pop("noise")),
        ("rejection_reasons_file", lambda d: d["reasons"].update(sunspots={"redirect": "none", "vi": "x", "en": "x"})),
        ("reply_templates_file", lambda d: d["templates"][0].update(vi="Xin chào {resident_name}")),
        ("reply_templates_file", lambda d: d["templates"][0].update(category="unicorns")),
    ],
)
def test_a_table_with_a_mistake_stops_the_start(tables_args, tmp_path, file, change):
    settings, taxonomy = tables_args
    paths = {name: getattr(settings, name) for name in ("proof_file", "rejection_reasons_file", "reply_templates_file")}
    data = json.loads(paths[file].read_text(encoding="utf-8"))
    change(data)
    paths[file] = tmp_path / "table.json"
    paths[file].write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError):
        TriageTables.load(paths["proof_file"], paths["rejection_reasons_file"], paths["reply_templates_file"], taxonomy)
