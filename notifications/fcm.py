"""The real sender: firebase-admin's FCM v1 client, with its own Firebase app.

``PHANANH_FCM_ENDPOINT`` replaces ``https://fcm.googleapis.com`` (tests and the benchmark
point it at a local stand-in; the OAuth token URL comes from the service account's own
``token_uri``). firebase-admin has no public option for either the endpoint or its retry
policy, so two private attributes of its messaging service are set here, in one place:
the URLs, and an HTTP client without built-in retries, because retrying (with backoff,
Retry-After and a dead-letter state) is the dispatcher's job and must stay visible there.
"""

import uuid
import warnings
from pathlib import Path

import anyio
import firebase_admin
from firebase_admin import _http_client, credentials, exceptions, messaging
from firebase_admin._retry import HttpxRetry

from notifications.payloads import PushMessage
from notifications.senders import SendOutcome

IN_FLIGHT = 50  # concurrent FCM requests per dispatcher (measured: 500 at once is 2x slower than 50)


def to_fcm(message: PushMessage) -> messaging.Message:
    """The FCM v1 message (shape fixed by mobile_contracts/push/*.schema.json)."""
    priority = "high" if message.high_priority else "normal"
    with warnings.catch_warnings():  # phones register FCM registration tokens, which FCM v1 still takes
        warnings.filterwarnings("ignore", "Message.token is deprecated", DeprecationWarning)
        return _message(message, priority)


def _message(message: PushMessage, priority: str) -> messaging.Message:
    image = message.image_url  # iOS shows it through a notification service extension: mutable-content
    return messaging.Message(
        token=message.token,
        topic=message.topic,
        data=message.data,
        notification=messaging.Notification(title=message.title, body=message.body, image=image),
        android=messaging.AndroidConfig(
            collapse_key=message.collapse_key,
            priority=priority,
            notification=messaging.AndroidNotification(
                channel_id=message.channel_id, tag=message.collapse_key, image=image
            ),
        ),
        apns=messaging.APNSConfig(
            headers={
                "apns-priority": "10" if message.high_priority else "5",
                **({"apns-collapse-id": message.collapse_key} if message.collapse_key else {}),
            },
            payload=messaging.APNSPayload(
                aps=messaging.Aps(thread_id=message.thread_id, mutable_content=True if image else None)
            ),
            fcm_options=messaging.APNSFCMOptions(image=image) if image else None,
        ),
    )


def _outcome(error: Exception | None) -> SendOutcome:
    if error is None:
        return SendOutcome()
    if isinstance(error, messaging.UnregisteredError):
        code = "UNREGISTERED"
    elif isinstance(error, messaging.SenderIdMismatchError):
        code = "SENDER_ID_MISMATCH"
    elif isinstance(error, messaging.QuotaExceededError):
        code = "QUOTA_EXCEEDED"
    elif isinstance(error, exceptions.FirebaseError):
        code = str(error.code).upper()
    else:
        code = type(error).__name__
    retry_after = None
    response = getattr(error, "http_response", None)
    if response is not None and response.headers.get("retry-after", "").strip().isdigit():
        retry_after = float(response.headers["retry-after"])
    return SendOutcome(error=code, retry_after_s=retry_after)


class FcmSender:
    def __init__(self, credentials_file: Path, endpoint: str | None, timeout_s: float) -> None:
        self.app = firebase_admin.initialize_app(
            credentials.Certificate(str(credentials_file)),
            options={"httpTimeout": timeout_s},
            name=f"phananh-push-{uuid.uuid4().hex}",
        )
        service = messaging._get_messaging_service(self.app)
        if endpoint:
            base = f"{endpoint.rstrip('/')}/v1/projects/{self.app.project_id}"
            service._fcm_url = f"{base}/messages:send"
            service._fcm_topic_url = f"{base}/registrations"
        service._async_client = _http_client.HttpxAsyncClient(
            credential=service._credential, timeout=timeout_s, retry_config=HttpxRetry(max_retries=0)
        )

    async def send(self, messages: list[PushMessage]) -> list[SendOutcome]:
        """In waves of ``IN_FLIGHT``: httpx's pool slows quadratically with hundreds of queued requests."""
        outcomes: list[SendOutcome] = []
        for start in range(0, len(messages), IN_FLIGHT):
            wave = messages[start : start + IN_FLIGHT]
            try:
                batch = await messaging.send_each_async([to_fcm(m) for m in wave], app=self.app)
            except exceptions.FirebaseError as error:  # the whole call failed (e.g. no OAuth token)
                outcomes.extend([_outcome(error)] * len(wave))
            else:
                outcomes.extend(_outcome(response.exception) for response in batch.responses)
        return outcomes

    async def change_topic(self, tokens: list[str], topic: str, subscribe: bool) -> list[SendOutcome]:
        change = messaging.subscribe_to_topic_async if subscribe else messaging.unsubscribe_from_topic_async
        try:
            response = await change(tokens, topic, app=self.app)
        except exceptions.FirebaseError as error:
            return [_outcome(error)] * len(tokens)
        outcomes = [SendOutcome()] * len(tokens)
        for failed in response.errors:
            outcomes[failed.index] = SendOutcome(error=str(failed.reason).upper())
        return outcomes

    async def close(self) -> None:
        """Close the HTTP client on our loop; firebase-admin's own cleanup calls asyncio.run(), so it gets a thread."""
        await messaging._get_messaging_service(self.app)._async_client.aclose()
        await anyio.to_thread.run_sync(firebase_admin.delete_app, self.app)
