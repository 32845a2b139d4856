"""Settings of the case service; every value is read from HOTLINE_* variables or .env."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, IPvAnyNetwork, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from ticketing.user.policy import LoginPolicy

PACKAGE_DATA = Path(__file__).parent / "data"


class Settings(BaseSettings):
    """Case-service settings; the defaults give a working single-machine install."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./var/hotline.db"  # SQLAlchemy URL; postgresql://... at scale
    redis_url: SecretStr | None = None  # redis://host:6379/0 links processes; unset: in-process bus
    timezone: str = "Asia/Shanghai"  # the district's time zone: working hours, deadlines, case numbers
    dataset: str = "futian"  # which shipped district data set to load (bureaus, categories, rules, calendar)
    data_dir: Path | None = None  # a district's own data directory instead of the shipped one
    case_prefix: str = "FT"  # case numbers look like FT20261126-0042
    db_pool_size: int = 5  # PostgreSQL connections one process keeps open (see docs/operations.md)
    db_max_overflow: int = 5  # more connections a busy process may open beyond db_pool_size, closed after
    var_dir: Path = Path("./var")  # this install's state: SQLite file, prompts, recordings, Asterisk
    supervision_interval: float = 30.0  # seconds between two runs of the deadline scheduler; 0 turns it off
    merge_window_days: int = 7  # duplicates are suggested among cases this many days apart or closer
    attachment_max_bytes: int = 10_000_000  # largest photo or file a clerk may attach to a case
    media_dirs: list[Path] = []  # more directories recordings may be served from, besides var_dir

    # --- security and observability (docs/operations.md) ---
    max_body_bytes: int = 1_048_576  # larger request bodies are refused with 413 before they are read
    login_max_failures: int = 5  # failed console logins of one user (in the window) that lock the account
    login_max_address_failures: int = 20  # failed logins from one address (in the window) refused after
    login_window_minutes: float = 15.0  # how far back failed logins count
    login_lockout_minutes: float = 15.0  # how long a locked account stays locked (or `hotline users unlock`)
    token_days: float = 90.0  # new API tokens expire after this many days; 0: never
    log_format: Literal["text", "json"] = "text"  # json: one JSON object per line (call id, case number)
    metrics_token: SecretStr | None = None  # /metrics answers `Authorization: Bearer <this>` (Prometheus)
    metrics_networks: list[IPvAnyNetwork] = Field(  # /metrics answers clients from these networks, no token
        ["127.0.0.0/8", "::1/128"], validate_default=True)

    @property
    def login_policy(self) -> LoginPolicy:
        """The login throttling and lockout rules."""
        return LoginPolicy(max_user_failures=self.login_max_failures,
                           max_address_failures=self.login_max_address_failures,
                           window=timedelta(minutes=self.login_window_minutes),
                           lockout=timedelta(minutes=self.login_lockout_minutes))

    @property
    def dataset_dir(self) -> Path:
        """Directory holding the district's data files (bureaus, categories, rules, calendar)."""
        return self.data_dir or PACKAGE_DATA / self.dataset

    @property
    def attachments_dir(self) -> Path:
        """Directory of files uploaded to cases (one sub-directory per case)."""
        return self.var_dir / "attachments"

    @property
    def media_roots(self) -> list[Path]:
        """Directories whose files may be served as a case's recordings and attachments."""
        return [self.var_dir, *self.media_dirs]

    @property
    def sqlalchemy_url(self) -> str:
        """Database URL with the psycopg 3 driver chosen for plain postgresql:// URLs."""
        url = self.database_url
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix):]
        return url


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings (tests build their own Settings instead)."""
    return Settings()
