"""All runtime settings of the service, read once from the environment (prefix ``PHANANH_``).

One class so that the README can document every knob in one place and tests can build an
app from an explicit ``Settings`` object instead of patching the environment.
"""

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROUTING_DATA = Path(__file__).resolve().parent.parent / "classifiers" / "routing" / "data"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PHANANH_", extra="ignore")

    mongodb_uri: str | None = Field(
        default=None,
        description="MongoDB connection string. Unset: `phananh serve` starts an embedded SecantusDB.",
    )
    database_name: str = "phananh"
    data_dir: Path = Path("./data")
    embedded_port: int = Field(default=0, description="Port of the embedded SecantusDB; 0 picks a free one.")
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

    classifier_model: str | None = Field(
        default=None, description="Directory of a transformers classifier; unset: the shipped default model.")
    classifier_threshold: float | None = Field(
        default=None, ge=0, le=1, description="Auto-routing confidence threshold; unset: the model's calibrated one.")
    taxonomy_file: Path = ROUTING_DATA / "taxonomy.json"
    wards_file: Path = ROUTING_DATA / "hanoi_wards_2025.geojson"
    sla_file: Path = ROUTING_DATA / "sla.json"
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

    reopen_window_days: int = Field(
        default=7, ge=1, description="A resolved report may be reopened (by its author) this long; then it closes itself.")
    duplicate_radius_m: float = Field(default=50.0, gt=0, description="Open reports this close may be duplicates.")
    duplicate_window_days: int = Field(default=14, ge=1, description="... if filed within this many days.")
    duplicate_min_similarity: float = Field(
        default=0.2, ge=0, le=1, description="... and their texts share this much (character-trigram Jaccard).")
    run_worker: bool = Field(
        default=True, description="Run the periodic jobs inside each API process (`serve --no-worker` turns it off).")
    worker_interval_s: int = Field(
        default=60, ge=1, description="How often `phananh worker` (and `serve` without --no-worker) runs its jobs.")

    stats_default_days: int = Field(
        default=30, ge=1, description="Statistics period when a request gives no from/to: the last N days.")
    stats_max_range_days: int = Field(
        default=1096, ge=1, description="Longest period a statistics request may ask for (days, about 3 years).")
    stats_seal_grace_s: int = Field(
        default=3600, ge=0, description="A closed day is sealed this long after it ends (changes still committing).")
    public_stats_cache_s: int = Field(
        default=300, ge=0, description="How long GET /v1/public/stats is cached (in the process and by clients).")

    idempotency_ttl_s: int = 7 * 24 * 3600
    report_rate_limit: int = 20
    report_rate_window_s: int = 3600

    @model_validator(mode="after")
    def _default_env(self) -> "Settings":
        if self.env is None:
            self.env = "dev" if self.mongodb_uri is None else "prod"
        return self

    @property
    def is_dev(self) -> bool:
        return self.env == "dev"


def get_settings() -> Settings:
    """Settings read from the environment; the app factory calls it only when given none."""
    return Settings()
