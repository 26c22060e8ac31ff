"""Push messages: what a phone receives, in the device's language.

The wire shape (FCM v1 JSON) is fixed by the schemas in ``mobile_contracts/push/``; this
module builds the neutral ``PushMessage`` each sender turns into its own format. Texts
come from the service's one message catalogue (``core/messages.json``, keys ``push.*``).

Privacy: the author of a report gets the full update, including staff's public note;
followers ("me too" residents and authors of merged duplicates) get the status only,
and replies go to the author alone.
"""

from dataclasses import dataclass

from core.documents import Labels
from core.i18n import translate
from notifications.documents import BroadcastText, OutboxEvent

REPORT_CHANNEL = "report_updates"
BROADCAST_CHANNEL = "city_alerts"
LOCALES = ("vi", "en")


@dataclass(frozen=True)
class PushMessage:
    """One message to one device token or one topic."""

    event_id: str
    title: str
    body: str
    data: dict[str, str]
    channel_id: str
    thread_id: str
    collapse_key: str | None = None
    token: str | None = None
    topic: str | None = None
    high_priority: bool = False
    image_url: str | None = None  # shown by the phone, which fetches it without the user's token


def ward_topic(ward: str | None, locale: str) -> str:
    """Devices subscribe per ward and language, so a broadcast reaches each phone in its language."""
    return f"ward-{ward}-{locale}" if ward else f"all-{locale}"


def device_topics(ward: str | None, locale: str) -> list[str]:
    """Every device hears city-wide alerts; those that told us their ward also hear the ward's."""
    topics = [ward_topic(None, locale)]
    if ward:
        topics.append(ward_topic(ward, locale))
    return topics


def _localised(texts: Labels | BroadcastText | None, locale: str) -> str:
    """The device's language if the text has it, else the Vietnamese (always there)."""
    if not texts:
        return ""
    return (texts.get("en") if locale == "en" else None) or texts["vi"]


def report_message(
    event: OutboxEvent, token: str, locale: str, to_author: bool, image_url: str | None = None
) -> PushMessage:
    """``image_url``: the signed link of the resolution's photo, for the author only."""
    kind = event["event"]
    params = {
        "code": event["code"],
        "agency": event.get("agency_name") or "",
        "note": event.get("note") or "",
        "target": event.get("merged_into") or "",
        "status": translate(f"status.{event['status']}", locale),
        "reason": _localised(event.get("reason"), locale),
        "redirect": _localised(event.get("redirect"), locale),
    }
    if to_author:
        body_key = (
            "push.received_routed.body" if kind == "received" and event.get("agency_name") else f"push.{kind}.body"
        )
        if kind == "rejected" and event.get("reason"):
            body_key = "push.rejected_redirect.body" if event.get("redirect") else "push.rejected_reason.body"
        elif kind in ("resolved", "rejected", "reply") and not event.get("note"):
            body_key = "push.follower.body"
    else:
        body_key = "push.follower.body"
    report_id = str(event["report_id"])
    return PushMessage(
        event_id=str(event["_id"]),
        token=token,
        title=translate(f"push.{kind}.title", locale, **params),
        body=translate(body_key, locale, **params).strip(),
        data={
            "type": "report_update",
            "event": kind,
            "report_id": report_id,
            "code": event["code"],
            "status": event["status"],
            "version": str(event["seq"]),
            "event_id": str(event["_id"]),
        },
        channel_id=REPORT_CHANNEL,
        thread_id=f"report-{report_id}",
        collapse_key=f"report-{report_id}",
        image_url=image_url if to_author else None,
    )


def digest_message(event: OutboxEvent, token: str, locale: str) -> PushMessage:
    """Resolved public reports in the areas a resident subscribed to, at most one per digest period."""
    codes = [item["code"] for item in event["reports"]]
    return PushMessage(
        event_id=str(event["_id"]),
        token=token,
        title=translate("push.digest.title", locale, count=len(codes)),
        body=translate("push.digest.body", locale, codes=", ".join(codes[-5:])),
        data={
            "type": "area_digest",
            "count": str(len(codes)),
            "codes": ",".join(codes),
            "report_ids": ",".join(str(item["report_id"]) for item in event["reports"]),
            "event_id": str(event["_id"]),
        },
        channel_id=REPORT_CHANNEL,
        thread_id="area-digest",
        collapse_key="area-digest",
    )


def broadcast_messages(event: OutboxEvent) -> list[PushMessage]:
    """One message per ward topic and language; emergencies go out at high priority."""
    wards: list[str | None] = [None] if event["wards"] == "all" else list(event["wards"])
    messages = []
    for ward in wards:
        for locale in LOCALES:
            messages.append(
                PushMessage(
                    event_id=str(event["_id"]),
                    topic=ward_topic(ward, locale),
                    title=_localised(event["title"], locale),
                    body=_localised(event["body"], locale),
                    data={
                        "type": "broadcast",
                        "broadcast_id": str(event["broadcast_id"]),
                        "severity": event["severity"],
                        "event_id": str(event["_id"]),
                    },
                    channel_id=BROADCAST_CHANNEL,
                    thread_id=f"broadcast-{event['severity']}",
                    high_priority=event["severity"] == "emergency",
                )
            )
    return messages
