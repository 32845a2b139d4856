"""Settings of the case service; every value is read from HOTLINE_* variables or .env."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

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
