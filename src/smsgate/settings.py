"""Settings: one typed object from SMSGATE_* variables (and an optional file), read once."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SMSGATE_", extra="ignore", frozen=True)

    database_url: str = "sqlite:///./smsgate.db"
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    workers: int = Field(default=1, ge=1, le=64)  # HTTP processes of `smsgate serve`
    public_url: str | None = None  # the base URL clients use, for WSDLs and links
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    max_import_bytes: int = Field(default=268_435_456, ge=1024)  # a CSV import, streamed
    max_recipients: int = Field(default=1000, ge=1, le=100_000)
    max_segments: int = Field(default=10, ge=1, le=255)
    credential_cache_ttl_s: float = Field(default=60.0, ge=0)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Connections kept per process: more concurrent requests than this open and close extra
    # ones (a new PostgreSQL connection costs both sides milliseconds of CPU).
    db_pool_size: int = Field(default=20, ge=1, le=200)
    # Delivery (the dispatcher in `serve` and `dispatch`)
    dispatch: bool = True  # run a dispatcher inside `smsgate serve`
    lease_s: float = Field(default=60.0, gt=0)  # a claim not recorded by then is taken again
    validity_h: float = Field(default=48.0, gt=0)  # unsent after this long: expired, refunded
    opt_out_keywords: str = ""  # comma-separated, added to STOP, UNSUBSCRIBE, ARRET, ...
    webhook_timeout_s: float = Field(default=10.0, gt=0)
    webhook_allow_private: bool = False  # let webhooks reach private/loopback addresses

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql:", "postgres:", "postgresql+", "sqlite+")):
            raise ValueError("must be a sqlite:/// or postgresql:// URL")
        return value


def load_settings(env_file: str | None = None) -> Settings:
    """Read the settings once; a bad value raises pydantic's ValidationError, naming it."""
    if env_file:
        return Settings(_env_file=env_file)
    return Settings()
