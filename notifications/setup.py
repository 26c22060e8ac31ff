"""Building the push side of a process from settings: the sender and the dispatcher."""

from datetime import timedelta

from pymongo.asynchronous.database import AsyncDatabase

from api.devices.repository import DeviceRepository
from api.duplicates.repository import FollowerRepository
from api.photos.signing import optional_signer
from api.settings import Settings
from notifications.dispatcher import OutboxDispatcher, RetryPolicy
from notifications.outbox import OutboxRepository
from notifications.senders import LogSender, PushSender


def build_sender(settings: Settings) -> PushSender:
    """FCM through firebase-admin with a service account; otherwise the log file (laptops, demos)."""
    if settings.firebase_credentials is None:
        return LogSender(settings.data_dir / "pushes.jsonl")
    from notifications.fcm import FcmSender

    return FcmSender(settings.firebase_credentials, settings.fcm_endpoint, settings.fcm_timeout_s)


def build_dispatcher(db: AsyncDatabase, settings: Settings, sender: PushSender) -> OutboxDispatcher:
    return OutboxDispatcher(
        OutboxRepository(db),
        DeviceRepository(db),
        FollowerRepository(db),
        sender,
        batch_size=settings.outbox_batch_size,
        lease=timedelta(seconds=settings.outbox_lease_s),
        retry=RetryPolicy(settings.outbox_max_attempts, settings.outbox_backoff_base_s, settings.outbox_backoff_cap_s),
        retention=timedelta(days=settings.outbox_retention_days),
        signer=optional_signer(settings),
    )
