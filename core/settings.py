"""All runtime settings of the service, read once from the environment (prefix ``PHANANH_``).

One class so that the README can document every knob in one place and tests can build an
app from an explicit ``Settings`` object instead of patching the environment.
"""

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROUTING_DATA = Path(__file__).resolve().parent.parent / "classifiers" / "routing" / "data"
# Dev only (like the unsigned emulator tokens dev accepts): prod refuses to start without its own key.
DEV_PHOTO_URL_KEY = "phananh-dev-photo-url-key-never-use-in-production"
MIN_PHOTO_URL_KEY = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PHANANH_", extra="ignore")

    mongodb_uri: str | None = Field(
        default=None,
        description="MongoDB connection string. Unset: `phananh serve` starts an embedded SecantusDB.",
    )
    database_name: str = "phananh"
    data_dir: Path = Path("./data")
    embedded_port: int = Field(default=0, description="Port of the embedded SecantusDB; 0 picks a free one.")
    embedded_sync_on_commit: bool = Field(
        default=True, description="Fsync the embedded database's journal on every commit: a 201 survives a crash."
    )
    keep_alive_s: int = Field(
        default=75,
        ge=1,
        description="How long `serve` keeps an idle HTTP connection open; above clients' and balancers' idle timeouts.",
    )
    env: Literal["dev", "prod"] | None = Field(
        default=None,
        description="dev accepts unsigned Firebase emulator tokens; default dev only on the embedded DB.",
    )
    firebase_project_id: str = "phananh-dev"
    firebase_credentials: Path | None = Field(
        default=None,
        description="Service-account JSON. Unset: token verification only, pushes go to the log sender.",
    )
    firebase_cert_url: str | None = Field(
        default=None,
        description="Overrides Google's ID-token certificate URL (private deployments, tests).",
    )
    dev_token_lifetime_s: int = 24 * 3600
    firebase_web_api_key: str | None = Field(
        default=None,
        description="The Firebase project's Web API key (public): the staff console signs in with it. "
        "Unset in dev: any key the auth emulator accepts.",
    )
    auth_emulator_host: str = Field(
        default="127.0.0.1:9099",
        description="host:port of the Firebase Auth emulator that dev mode signs in "
        "against (the console) and grants roles through (`phananh staff grant`).",
    )
    map_tile_url: str | None = Field(
        default=None,
        description="Raster tile URL template ({z}/{x}/{y}) under the console's ward map; unset: "
        "the wards alone (works offline).",
    )

    classifier_model: str | None = Field(
        default=None, description="Directory of a transformers classifier; unset: the shipped default model."
    )
    classifier_threshold: float | None = Field(
        default=None, ge=0, le=1, description="Auto-routing confidence threshold; unset: the model's calibrated one."
    )
    classifier_batch_wait_ms: float = Field(
        default=3.0, ge=0, le=100, description="How long the first text of a batch waits for others to join it."
    )
    classifier_max_batch: int = Field(default=32, ge=1, le=256, description="Texts in one forward pass at most.")
    intake_group_max: int = Field(
        default=8,
        ge=1,
        le=64,
        description="New reports of concurrent requests written by one transaction at most (group commit).",
    )
    classifier_threads: int = Field(
        default=1,
        ge=1,
        le=64,
        description="torch threads per API process: the database and the event loop share "
        "the cores (README: Classification under load).",
    )
    gc_freeze_after_start: bool = Field(
        default=True,
        description="After start-up, keep the objects that live as long as the API process (the "
        "model's ~500 000) out of every later garbage collection (README: Reliability).",
    )
    taxonomy_file: Path = ROUTING_DATA / "taxonomy.json"
    wards_file: Path = ROUTING_DATA / "hanoi_wards_2025.geojson"
    sla_file: Path = ROUTING_DATA / "sla.json"
    supervision_file: Path = ROUTING_DATA / "supervision.json"
    ward_snap_m: float = Field(
        default=150.0,
        description="A point outside every simplified ward polygon but this close to one still counts.",
    )

    max_photos: int = 5
    max_photo_bytes: int = 10 * 1024 * 1024
    max_photo_pixels: int = 50_000_000
    display_long_side: int = 1280
    thumbnail_long_side: int = 400
    photo_workers: int = 2
    max_body_bytes: int = 56 * 1024 * 1024
    orphan_photo_grace_s: int = 600
    attachment_grace_s: int = Field(
        default=24 * 3600, ge=60, description="A staff attachment no status change or note used is deleted after this."
    )
    photo_url_key: SecretStr | None = Field(
        default=None,
        description=f"HMAC key (at least {MIN_PHOTO_URL_KEY} characters) of the signed thumbnail links "
        "in pushes. Required in prod; dev uses a fixed, public one.",
    )
    photo_url_lifetime_s: int = Field(
        default=24 * 3600, ge=60, le=30 * 24 * 3600, description="How long a signed thumbnail link in a push works."
    )
    public_base_url: str | None = Field(
        default=None, description="The service's public https://host as phones reach it; unset: pushes carry no image."
    )
    proof_file: Path = ROUTING_DATA / "proof.json"
    rejection_reasons_file: Path = ROUTING_DATA / "rejection_reasons.json"
    reply_templates_file: Path = ROUTING_DATA / "reply_templates.json"

    reopen_window_days: int = Field(
        default=7,
        ge=1,
        description="A resolved report may be reopened (by its author) this long; then it closes itself.",
    )
    appeal_window_days: int = Field(
        default=7, ge=1, description="After a rejection or a 1-2 star rating, the author may appeal (once) this long."
    )
    subscription_digest_s: float = Field(
        default=6 * 3600, gt=0, description="At most one area digest push per device per this many seconds."
    )
    duplicate_radius_m: float = Field(default=50.0, gt=0, description="Open reports this close may be duplicates.")
    duplicate_window_days: int = Field(default=14, ge=1, description="... if filed within this many days.")
    duplicate_min_similarity: float = Field(
        default=0.2, ge=0, le=1, description="... and their texts share this much (character-trigram Jaccard)."
    )
    run_worker: bool = Field(
        default=True, description="Run the periodic jobs inside each API process (`serve --no-worker` turns it off)."
    )
    worker_interval_s: int = Field(
        default=60, ge=1, description="How often `phananh worker` (and `serve` without --no-worker) runs its jobs."
    )

    fcm_endpoint: str | None = Field(
        default=None, description="Base URL replacing https://fcm.googleapis.com (local FCM stand-ins, tests)."
    )
    fcm_timeout_s: float = Field(default=10.0, gt=0, description="HTTP timeout of one FCM call.")
    outbox_batch_size: int = Field(
        default=500, ge=1, le=5000, description="Outbox events one dispatcher claims at a time."
    )
    outbox_lease_s: float = Field(
        default=60.0,
        gt=0,
        description="How long a dispatcher holds its outbox partitions unrenewed (then others take them over).",
    )
    outbox_max_attempts: int = Field(default=8, ge=1, description="Attempts before an event is dead-lettered.")
    outbox_backoff_base_s: float = Field(default=2.0, gt=0, description="First retry delay (doubles, full jitter).")
    outbox_backoff_cap_s: float = Field(default=3600.0, gt=0, description="Longest retry delay.")
    outbox_poll_s: float = Field(
        default=0.5, gt=0, description="Pause after a dispatcher round that did not fill a batch."
    )
    outbox_retention_days: int = Field(default=7, ge=1, description="Sent events are kept this long (TTL index).")
    stats_default_days: int = Field(
        default=30, ge=1, description="Statistics period when a request gives no from/to: the last N days."
    )
    stats_max_range_days: int = Field(
        default=1096, ge=1, description="Longest period a statistics request may ask for (days, about 3 years)."
    )
    stats_apply_poll_s: float = Field(
        default=0.5, gt=0, description="How often an idle statistics applier looks for new change records."
    )
    stats_apply_batch: int = Field(
        default=500, ge=1, le=5000, description="Change records the statistics applier applies in one transaction."
    )
    stats_seal_grace_s: int = Field(
        default=3600, ge=0, description="A closed day is sealed this long after it ends (changes still committing)."
    )
    stats_checkpoint_grace_s: int = Field(
        default=120,
        ge=0,
        description="A checkpoint of today's statistics treats rollups stamped this long before it "
        "as possibly still committing (above MongoDB's 60 s transaction lifetime).",
    )
    public_stats_cache_s: int = Field(
        default=300, ge=0, description="How long GET /v1/public/stats is cached (in the process and by clients)."
    )

    idempotency_ttl_s: int = 7 * 24 * 3600
    report_rate_limit: int = Field(default=20, ge=1, description="Reports per resident (uid) per window.")
    report_rate_window_s: int = Field(default=3600, ge=1, description="Window of the report and photo-byte limits.")
    report_ip_rate_limit: int = Field(
        default=200, ge=1, description="Reports per client IP per window (generous: mobile carriers share addresses)."
    )
    photo_bytes_rate_limit: int = Field(
        default=200 * 1024 * 1024, ge=1, description="Uploaded photo bytes per resident per window."
    )
    auth_failure_limit: int = Field(
        default=20, ge=1, description="Invalid tokens per client IP per window; then 429 before any verification."
    )
    auth_failure_window_s: int = Field(default=600, ge=1)
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Proxy addresses/CIDRs whose X-Forwarded-For is believed (JSON list); empty: the socket peer.",
    )

    metrics_token: SecretStr | None = Field(
        default=None,
        description="Bearer token that opens GET /metrics from non-loopback addresses; unset: loopback only.",
    )
    metrics_cache_s: float = Field(default=15.0, ge=0, description="How long database-read gauges are cached.")
    database_timeout_ms: int = Field(
        default=3000,
        ge=100,
        description="Server selection timeout: how fast a request fails (503) when the database is away.",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _valid_networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            ipaddress.ip_network(entry, strict=False)  # ValueError names the bad entry at start-up
        return value

    open311_jurisdiction_id: str = Field(
        default="hanoi.gov.vn", description="The Open311 jurisdiction_id this server answers for."
    )
    open311_rate_limit: int = Field(
        default=600, ge=1, description="Open311 requests per API key (or per client address without one) per window."
    )
    open311_report_rate_limit: int = Field(
        default=200,
        ge=1,
        description="Reports one Open311 API key may file per window (instead of a resident's limit).",
    )

    @model_validator(mode="after")
    def _default_env(self) -> "Settings":
        if self.env is None:
            self.env = "dev" if self.mongodb_uri is None else "prod"
        return self

    @model_validator(mode="after")
    def _lease_outlives_a_send(self) -> "Settings":
        """A lease shorter than a hung FCM call would let a second dispatcher push the same batch."""
        if self.outbox_lease_s <= 2 * self.fcm_timeout_s:
            raise ValueError("PHANANH_OUTBOX_LEASE_S must be more than twice PHANANH_FCM_TIMEOUT_S")
        return self

    @property
    def is_dev(self) -> bool:
        return self.env == "dev"

    def photo_url_signing_key(self) -> bytes | None:
        """The signed-link key: the configured one, dev's fixed one, or None (prod without a key)."""
        if self.photo_url_key is not None:
            key = self.photo_url_key.get_secret_value()
            if len(key) < MIN_PHOTO_URL_KEY:
                raise RuntimeError(f"PHANANH_PHOTO_URL_KEY must have at least {MIN_PHOTO_URL_KEY} characters")
            return key.encode()
        return DEV_PHOTO_URL_KEY.encode() if self.is_dev else None


def get_settings() -> Settings:
    """Settings read from the environment; the app factory calls it only when given none."""
    return Settings()
