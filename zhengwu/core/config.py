"""Process settings, read from ``ZHENGWU_*`` environment variables and ``.env``.

Tenant settings (the ones that cascade down the tree) live in ``zhengwu.tenants.settings``;
this module holds only what a process needs to start.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]

_INSECURE_DEV_KEY = "zhengwu-development-key-change-me-in-production-000"


class Settings(BaseSettings):
    """Everything a zhengwu process reads from its environment."""

    model_config = SettingsConfigDict(
        env_prefix="ZHENGWU_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    environment: Literal["development", "production", "test"] = "development"
    database_url: str = Field(
        default_factory=lambda: f"sqlite+aiosqlite:///{Path.cwd() / 'zhengwu.sqlite3'}",
        description="SQLAlchemy async URL. Default: a SQLite file in the working directory.",
    )
    database_app_role: str | None = Field(
        default="zhengwu_app",
        description=(
            "PostgreSQL only: the role the application runs as (a startup parameter of each "
            "connection). It has no "
            "BYPASSRLS and does not own the tables, so row-level security applies. Empty to "
            "disable (then connect with a login role that already is such a role)."
        ),
    )
    database_echo: bool = False
    redis_url: str | None = Field(default=None, description="Unset: jobs run in-process.")
    embedded_schedules: bool = Field(
        default=True, description="Embedded mode only: run cron schedules on the server's loop.")
    secret_key: SecretStr = SecretStr(_INSECURE_DEV_KEY)
    pii_key: SecretStr | None = Field(
        default=None,
        description=(
            "Master key for personal data at rest (zhengwu.core.pii): base64 of 32 random bytes. "
            "Unset outside production: derived from secret_key (demo only). Required in production."
        ),
    )
    jwt_ttl_seconds: int = 8 * 3600
    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_seconds: int = Field(default=15 * 60, ge=1)
    password_min_length: int = Field(default=10, ge=8)
    import_batch_size: int = Field(default=20_000, ge=100)
    host: str = "127.0.0.1"
    port: int = 8000
    policy_refresh_seconds: float = Field(
        default=1.0, ge=0, le=3600,
        description="How often (at most) a process checks whether another process changed a "
                    "custom role; 0: before every authenticated request.")

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")

    @property
    def uses_insecure_key(self) -> bool:
        return self.secret_key.get_secret_value() == _INSECURE_DEV_KEY


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests build their own ``Settings``)."""
    return Settings()
