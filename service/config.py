"""The web service's own settings (environment, prefix ``NEWSQA_``); the engine's are in index/settings.py."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSQA_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    log_level: str = "INFO"
    write_token: str | None = Field(
        None, description="Bearer token for POST/DELETE /documents; unset means writes are refused."
    )
    cors_origins: list[str] = Field(
        default_factory=list, description="Origins allowed to call the API from a browser."
    )
    max_body_bytes: int = Field(2_000_000, ge=1024, description="Largest accepted request body, however sent.")
    max_document_chars: int = Field(200_000, ge=100, description="Largest accepted document text.")
    rate_limit_per_minute: int = Field(
        600, ge=0, description="Requests per minute per client on /ask; 0 turns the limit off."
    )
    auth_failures_per_minute: int = Field(
        10, ge=1, description="Wrong or missing write tokens per minute per client before 429."
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Proxy addresses (IPs or CIDR networks) whose X-Forwarded-For is believed; "
                    "empty: the connecting address is the client, forwarding headers are ignored.",
    )
