"""Pure rules: which changes make a push, topic arithmetic, backoff, who reads what."""

import random
from datetime import UTC, datetime

import pytest
from bson import ObjectId

from core.changes import ReportChange
from notifications.dispatcher import RetryPolicy
from notifications.events import report_event
from notifications.payloads import broadcast_messages, report_message
from notifications.topics import topic_changes

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def a_report(**fields):
    return {
        "_id": ObjectId(),
        "code": "HN-2026-000007",
        "status": "assigned",
        "resident_uid": "author",
        "version": 3,
        "agency": "SXD",
        "routing": {"agency_name": "Sở Xây dựng Hà Nội"},
        **fields,
    }


@pytest.mark.parametrize(
    ("kind", "status", "expected"),
    [
        ("received", "received", "received"),
        ("received", "assigned", "received"),
        ("status", "assigned", "routed"),
        ("status", "in_progress", "in_progress"),
        ("status", "resolved", "resolved"),
        ("status", "rejected", "rejected"),
        ("reroute", "assigned", "routed"),
        ("merge", "closed", "merged"),
        ("reply", "in_progress", "reply"),
        ("status", "reopened", None),
        ("status", "closed", None),
        ("rating", "closed", None),
        ("overdue", "assigned", None),
        ("priority", "assigned", None),
    ],
)
def test_which_changes_residents_hear_about(kind, status, expected):
    event = report_event(ReportChange(kind, None, a_report(status=status), NOW, "Đã vá xong"))
    assert (event or {}).get("event") == expected
    if event:
        assert event["order_key"].startswith("report:") and event["seq"] == 3


def test_a_report_event_carries_what_the_message_needs_and_truncates_long_notes():
    event = report_event(ReportChange("status", None, a_report(status="resolved"), NOW, "x" * 5000))
    assert event["agency_name"] == "Sở Xây dựng Hà Nội" and event["resident_uid"] == "author"
    assert len(event["note"]) == 300


def test_topic_changes_move_a_device_between_wards_and_languages():
    assert topic_changes(None, {"ward": "00070", "locale": "vi"}) == [("all-vi", True), ("ward-00070-vi", True)]
    assert topic_changes({"ward": "00070", "locale": "vi"}, {"ward": "00076", "locale": "vi"}) == [
        ("ward-00070-vi", False),
        ("ward-00076-vi", True),
    ]
    assert topic_changes({"ward": None, "locale": "vi"}, {"ward": None, "locale": "en"}) == [
        ("all-vi", False),
        ("all-en", True),
    ]
    assert topic_changes({"ward": "00070", "locale": "en"}, None) == [("all-en", False), ("ward-00070-en", False)]
    assert topic_changes({"ward": "00070", "locale": "en"}, {"ward": "00070", "locale": "en"}) == []


def test_backoff_doubles_with_jitter_and_honours_retry_after():
    policy, rng = RetryPolicy(max_attempts=8, base_s=2, cap_s=60), random.Random(7)
    for attempt in range(1, 10):
        delays = [policy.delay(attempt, None, rng) for _ in range(200)]
        ceiling = min(60, 2 * 2 ** (attempt - 1))
        assert all(0 <= d <= ceiling for d in delays) and max(delays) > ceiling / 2
    assert all(policy.delay(1, 30, rng) >= 30 for _ in range(50))


def test_followers_get_the_status_but_not_staffs_note():
    event = {
        **report_event(ReportChange("status", None, a_report(status="resolved"), NOW, "Đã vá, SĐT đội: 0912")),
        "_id": ObjectId(),
    }
    author = report_message(event, "t1", "vi", to_author=True)
    follower = report_message(event, "t2", "en", to_author=False)
    assert "0912" in author.body and author.title == "Phản ánh HN-2026-000007 đã được xử lý"
    assert "0912" not in follower.body and follower.body == "New status: Resolved."
    assert author.collapse_key == follower.collapse_key == f"report-{event['report_id']}"


def test_a_broadcast_is_one_message_per_ward_topic_and_language():
    event = {
        "_id": ObjectId(),
        "broadcast_id": ObjectId(),
        "wards": ["00070", "00076"],
        "severity": "emergency",
        "title": {"vi": "Ngập", "en": None},
        "body": {"vi": "Tránh hầm chui", "en": "Avoid underpasses"},
    }
    messages = broadcast_messages(event)
    assert [m.topic for m in messages] == ["ward-00070-vi", "ward-00070-en", "ward-00076-vi", "ward-00076-en"]
    assert all(m.high_priority for m in messages)
    assert messages[1].title == "Ngập" and messages[1].body == "Avoid underpasses"  # English falls back per field
    city = broadcast_messages({**event, "wards": "all", "severity": "info"})
    assert [m.topic for m in city] == ["all-vi", "all-en"] and not any(m.high_priority for m in city)
