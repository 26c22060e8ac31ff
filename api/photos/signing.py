"""Signed, short-lived thumbnail links: what a push notification's image points at.

A phone shows a push's image by fetching its URL itself, without the user's ID token, so the
link has to carry its own authority: ``/v1/photos/{id}/thumbnail?exp=<unix time>&sig=<hex>``
where ``sig`` is HMAC-SHA256 over the photo id, the variant and ``exp`` with
``PHANANH_PHOTO_URL_KEY``. Only thumbnails are signed, only for a limited time
(``PHANANH_PHOTO_URL_LIFETIME_S``); a link that is altered in any part fails its signature.
"""

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import datetime

from api.errors import Forbidden, Gone
from core.settings import Settings

log = logging.getLogger(__name__)

VARIANT = "thumbnail"


def _signature(key: bytes, photo_id: str, exp: int) -> str:
    return hmac.new(key, f"{photo_id}:{VARIANT}:{exp}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class PhotoUrlSigner:
    key: bytes
    base_url: str | None  # the public https://host the phones reach; None: pushes carry no image
    lifetime_s: int

    def path(self, photo_id: str, now: datetime) -> str:
        exp = int(now.timestamp()) + self.lifetime_s
        return f"/v1/photos/{photo_id}/{VARIANT}?exp={exp}&sig={_signature(self.key, photo_id, exp)}"

    def url(self, photo_id: str, now: datetime) -> str | None:
        """The absolute signed link, or None without a public base URL (the image is left out)."""
        return None if not self.base_url else self.base_url.rstrip("/") + self.path(photo_id, now)

    def verify(self, photo_id: str, exp: str, sig: str, now: datetime) -> None:
        """Forbidden (403) for a forged or altered link, Gone (410) for a genuine one that expired."""
        if not exp.isdigit() or not hmac.compare_digest(_signature(self.key, photo_id, int(exp)), sig):
            raise Forbidden("photo_link_invalid")
        if int(exp) < now.timestamp():
            raise Gone("photo_link_expired")


def required_signer(settings: Settings) -> PhotoUrlSigner:
    """The API's, which must verify links: prod without a key refuses to start."""
    signer = optional_signer(settings)
    if signer is None:
        raise RuntimeError("PHANANH_PHOTO_URL_KEY is not set: prod needs its own key for signed photo links")
    return signer


def optional_signer(settings: Settings) -> PhotoUrlSigner | None:
    """A push sender's: without a key it sends pushes without an image rather than links nobody can verify."""
    key = settings.photo_url_signing_key()
    if key is None:
        log.warning("PHANANH_PHOTO_URL_KEY is not set: pushes carry no image")
        return None
    return PhotoUrlSigner(key, settings.public_base_url, settings.photo_url_lifetime_s)
