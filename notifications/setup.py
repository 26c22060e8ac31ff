"""Choosing the push sender from settings (the dispatcher is wired by the service, ``api/worker.py``,
which plugs its own repositories into ``notifications.ports``)."""

from core.settings import Settings
from notifications.senders import LogSender, PushSender


def build_sender(settings: Settings) -> PushSender:
    """FCM through firebase-admin with a service account; otherwise the log file (laptops, demos)."""
    if settings.firebase_credentials is None:
        return LogSender(settings.data_dir / "pushes.jsonl")
    from notifications.fcm import FcmSender

    return FcmSender(settings.firebase_credentials, settings.fcm_endpoint, settings.fcm_timeout_s)
