"""Settings in one place, read from the environment (``ONESHEET_*``) and nothing at import time."""

from __future__ import annotations

from functools import cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Deployment settings. The SQLite file in the working folder is the zero-set-up default."""

    model_config = SettingsConfigDict(env_prefix="ONESHEET_", extra="ignore")

    database_url: str = Field(default="sqlite:///onesheet.db")
    host: str = "127.0.0.1"
    port: int = 8000
    language: str = "zh"
    max_upload_bytes: int = 50 * 1024 * 1024
    secret_key: str = "change-me-in-production"
    # The command an import job's runner process starts with (the job id is appended);
    # empty: this Python with ``-m onesheet.cli.jobs_cmd run``. A wrapper may go in front.
    job_runner: str = ""


@cache
def get_settings() -> Settings:
    """The process-wide settings (tests build their own ``Settings`` instead)."""
    return Settings()
