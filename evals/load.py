"""Load test (a benchmark, run by ``make bench``): concurrent users against real servers on loopback.

    python -m evals.load [--users 20] [--seconds 60] [--think 1.0]
    python -m evals.load --scenario reload [--users 20] [--think 1.0]

Phases, each ``--users`` users asking dev questions for ``--seconds``, each user waiting
``--think`` seconds between questions:

1. one ``guidebot serve``, driven three ways:
   ``rest``: the REST API (``POST /api/v1/ask``, JSON in and out: what a portal or script calls);
   ``queue``: Gradio's queued HTTP API (``POST /gradio_api/call/ask``, then the answer as
   server-sent events: the path the browser UI's questions take through the queue);
   ``gradio_client``: the Python client on the Gradio endpoint ``/ask``;
2. ``two_replicas_chroma_server``: two app replicas sharing one ``chroma run`` server, REST users
   split between them.

The clients run on the same machine as the servers (in four processes), so their CPU time
competes with the servers'.
Reports requests, errors and latency p50/p95 per phase, and writes bench/results/load.json.

``--scenario reload`` (:func:`reload_scenario`, also a stage of ``make bench``): one replica under
``--users`` REST users while another process changes its store, phase by phase; see
:func:`reload_scenario` for what it measures.  Writes bench/results/reload.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any, Self

import numpy as np

from ingest.settings import REPO_ROOT

OUT = REPO_ROOT / "bench" / "results"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, timeout: float = 180.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(url)


def start_app(env: dict[str, str], port: int, log: Path | None = None) -> subprocess.Popen:
    """``guidebot serve`` on loopback, its output to ``log`` (discarded without one)."""
    out = log.open("ab") if log is not None else subprocess.DEVNULL
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                            cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT)
    if log is not None:
        out.close()  # type: ignore[union-attr]  # the child holds its own handle
    wait_http(f"http://127.0.0.1:{port}/")
    return proc


def _user(url: str, via: str, questions: list[str], first: int, step: int, stop: float, think: float) -> tuple[list[float], list[str]]:
    """One user asking in turn until ``stop`` (a time.time() value); returns latencies and errors."""
    import httpx
    from gradio_client import Client

    if via == "rest":
        http = httpx.Client(timeout=60)

        def ask(question: str) -> Any:
            response = http.post(f"{url}api/v1/ask", json={"question": question})
            response.raise_for_status()
            return response.json()
    elif via == "queue":
        http = httpx.Client(timeout=60)

        def ask(question: str) -> Any:
            # Gradio's two-step HTTP API: join the queue, then read the result as server-sent events.
            joined = http.post(f"{url}gradio_api/call/ask", json={"data": [question, "auto"]})
            joined.raise_for_status()
            event = None
            with http.stream("GET", f"{url}gradio_api/call/ask/{joined.json()['event_id']}") as stream:
                for line in stream.iter_lines():
                    if line.startswith("event:"):
                        event = line.split(":", 1)[1].strip()
                    elif line.startswith("data:") and event in ("complete", "error"):
                        data = json.loads(line.split(":", 1)[1])
                        if event == "error":
                            raise RuntimeError(f"error event: {data}")
                        return data[0]
            raise RuntimeError("the event stream ended without a result")
    else:
        client = Client(url, verbose=False)

        def ask(question: str) -> Any:
            return client.predict(question, "auto", api_name="/ask")

    latencies: list[float] = []
    errors: list[str] = []
    n = first
    while time.time() < stop:
        question = questions[n % len(questions)]
        n += step
        started = time.perf_counter()
        try:
            result = ask(question)
            ok = isinstance(result, dict) and "verdict" in result
        except Exception as exc:  # counted, not raised: the point is to count them
            ok = False
            result = repr(exc)[:200]
        if ok:
            latencies.append((time.perf_counter() - started) * 1000)
        else:
            errors.append(str(result))
        time.sleep(think)
    return latencies, errors


def _users_in_process(jobs: list[tuple[Any, ...]]) -> tuple[list[float], list[str]]:
    """Several users as threads of one client process."""
    results: list[tuple[list[float], list[str]]] = []
    threads = [threading.Thread(target=lambda job=job: results.append(_user(*job))) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [x for r in results for x in r[0]], [x for r in results for x in r[1]]


def run_users(urls: list[str], users: int, seconds: float, think: float, questions: list[str], via: str = "rest",
              processes: int = 4) -> dict[str, Any]:
    """``users`` users asking until ``seconds`` have passed, spread over ``processes`` client
    processes (one Python process would be bound by its own interpreter lock before the server
    is); ``via`` 'rest', 'queue' or 'gradio_client'."""
    from concurrent.futures import ProcessPoolExecutor

    stop = time.time() + seconds + 5  # the client processes take a few seconds to start
    jobs = [(urls[i % len(urls)], via, questions, i, users, stop, think) for i in range(users)]
    groups = [jobs[p::processes] for p in range(processes) if jobs[p::processes]]
    latencies: list[float] = []
    errors: list[str] = []
    with ProcessPoolExecutor(len(groups)) as pool:
        for lat, err in pool.map(_users_in_process, groups):
            latencies += lat
            errors += err
    return {
        "via": via, "users": users, "client_processes": len(groups), "seconds": seconds, "think_s": think,
        "requests": len(latencies) + len(errors), "errors": len(errors), "error_samples": errors[:3],
        "p50_ms": float(np.percentile(latencies, 50)) if latencies else None,
        "p95_ms": float(np.percentile(latencies, 95)) if latencies else None,
    }


# -- the reload scenario: users during an outside ingest and a rebuild ----------------------------

RELOAD_QUESTIONS = [
    "인공지능 기본법은 언제부터 시행되나요?",
    "When does the AI Basic Act enter into force?",
    "May staff enter personal data into public generative AI?",
    "공무원이 생성형 AI에 개인정보를 입력해도 되나요?",
    "부산시 지침의 4대 가치는?",
    "공무원이 생성형 AI로 보도자료 초안을 써도 되나요?",
    "What must officials check before using generative AI output?",
    "Must AI-generated press releases be labelled?",
]
SYNTH_FILES, SYNTH_SECTIONS = 50, 100  # 5,000 sections, one chunk each


def write_synthetic_docs(folder: Path, files: int = SYNTH_FILES, sections: int = SYNTH_SECTIONS) -> int:
    """``files`` x ``sections`` short Markdown sections (one chunk each) on a topic none of
    :data:`RELOAD_QUESTIONS` asks about (warehouse logistics), so they may not change a verdict.

    Like :func:`evals.bench.build_scaled` they are synthetic and many; unlike it they go through
    the real pipeline (chunking, embedding, batched writes), since the point is an outside ingest.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        body = "\n".join(
            f"## Shelf {j} {{#s{j}}}\nPallet rack {i}-{j} in warehouse {i} holds crates of bolts, rotated every {j + 2} days.\n"
            for j in range(sections)
        )
        (folder / f"w{i}.md").write_text(f"---\nid: warehouse-{i}\nlang: en\ntitle: Warehouse {i}\n---\n{body}", encoding="utf-8")
    return files * sections


class StoreReader:
    """The store's live chunk count read by the load generator itself (Chroma on disk, read-only:
    the live pointer, then the count), to check the health endpoint's own figures."""

    def __init__(self, data_dir: Path) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        from ingest.settings import Settings
        from ingest.store import POINTER_SUFFIX

        settings = Settings(data_dir=data_dir)
        self.base, self.pointer = settings.collection, f"{settings.collection}{POINTER_SUFFIX}"
        self.client = chromadb.PersistentClient(path=str(settings.chroma_dir), settings=ChromaSettings(anonymized_telemetry=False))

    def count(self) -> int | None:
        try:
            try:
                live = str((self.client.get_collection(self.pointer).metadata or {}).get("live") or self.base)
            except Exception:  # no pointer: a store never rebuilt
                live = self.base
            return int(self.client.get_collection(live).count())
        except Exception:  # the collection switched between the two reads
            return None


class Workers:
    """Threads that run until ``stop`` is set: started on entering the ``with`` block, stopped and
    joined (up to ``join_timeout`` seconds each) on leaving it."""

    join_timeout = 90.0

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []

    def __enter__(self) -> Self:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=self.join_timeout)


class ReloadLoad(Workers):
    """``users`` REST users asking :data:`RELOAD_QUESTIONS` in turn, and one health poller (a load
    balancer's check, every ``poll_s``); every request is recorded under the phase it began in."""

    def __init__(self, url: str, users: int, think: float, reader: StoreReader, poll_s: float = 0.25) -> None:
        super().__init__()
        self.url, self.think, self.reader, self.poll_s = url, think, reader, poll_s
        self._phase = "before"
        self.marks = [("before", time.monotonic())]  # each phase's name and start
        self.asks: list[dict[str, Any]] = []
        self.polls: list[dict[str, Any]] = []
        self.threads = [threading.Thread(target=self._user, args=(n,), daemon=True) for n in range(users)]
        self.threads.append(threading.Thread(target=self._poll, daemon=True))

    @property
    def phase(self) -> str:
        return self._phase

    @phase.setter
    def phase(self, name: str) -> None:
        self._phase = name
        self.marks.append((name, time.monotonic()))

    def seconds(self) -> dict[str, float]:
        """How long each phase lasted (the last until now)."""
        ends = [t for _, t in self.marks[1:]] + [time.monotonic()]
        return {name: round(end - start, 1) for (name, start), end in zip(self.marks, ends, strict=True)}

    def _user(self, n: int) -> None:
        import httpx

        http = httpx.Client(timeout=60)
        while not self.stop.is_set():
            question = RELOAD_QUESTIONS[n % len(RELOAD_QUESTIONS)]
            n += 1
            phase, started = self.phase, time.perf_counter()
            record: dict[str, Any] = {"phase": phase, "question": question}
            try:
                response = http.post(f"{self.url}api/v1/ask", json={"question": question})
                record["status"] = response.status_code
                body = response.json()
                if response.status_code == 200:
                    record["verdict"] = body["verdict"]
                    record["clauses"] = tuple(sorted(c["clause"] for c in body["citations"]))
                else:
                    record["error"] = str(body.get("error", body))[:200]
            except Exception as exc:  # counted: the figure is how many
                record["status"], record["error"] = None, repr(exc)[:200]
            record["ms"] = (time.perf_counter() - started) * 1000
            self.asks.append(record)
            self.stop.wait(self.think)

    def _poll(self) -> None:
        import httpx

        http = httpx.Client(timeout=60)
        while not self.stop.is_set():
            before = self.reader.count()
            try:
                response = http.get(f"{self.url}api/v1/health")
                record: dict[str, Any] = {**response.json(), "http": response.status_code}  # "status": ok | degraded | down
            except Exception as exc:
                record = {"http": None, "error": repr(exc)[:200]}
            record["phase"], record["t"] = self.phase, time.monotonic()
            record["seen_before"], record["seen_after"] = before, self.reader.count()
            self.polls.append(record)
            self.stop.wait(self.poll_s)

    def wait_ok(self, count: int | None, timeout: float) -> float | None:
        """Seconds until the poller sees 'ok' with the store at ``count`` chunks (None: not in time)."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            last = self.polls[-1] if self.polls else {}
            if last.get("t", 0) > started and last.get("status") == "ok" and count in (None, last.get("store_chunks")):
                return time.monotonic() - started
            time.sleep(0.1)
        return None


def health_answered(poll: dict[str, Any]) -> bool:
    """A 200 with the documented figures (docs/DEPLOY.md): the served and the store's chunk counts
    and the lag; an answer without them cannot show whether the replica is behind."""
    return poll["http"] == 200 and all(k in poll for k in ("status", "chunks", "store_chunks", "lag_chunks", "lag_seconds"))


def ok_while_behind(poll: dict[str, Any]) -> bool:
    """Health said 'ok' while its own figures say the served index differs from the store."""
    return poll.get("status") == "ok" and "store_chunks" in poll and poll.get("chunks") != poll.get("store_chunks")


def ok_while_store_differs(poll: dict[str, Any]) -> bool:
    """Health said 'ok' with a served count other than what the store held, read by the load
    generator before and after the call (counted only when both reads agree)."""
    seen = poll.get("seen_before")
    return (poll.get("status") == "ok" and seen is not None and seen == poll.get("seen_after")
            and poll.get("chunks") != seen)


def summarise_phase(asks: list[dict[str, Any]], polls: list[dict[str, Any]], baseline: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Requests, errors, latency, answers unlike the baseline's, and what health said, for one phase.

    ``inconsistent``: answers whose verdict differs from the baseline's (the pass criterion);
    ``citations_changed``: answers with the baseline's verdict citing other clauses (a figure:
    5,000 more chunks shift BM25's document frequencies, so the ranking may move)."""
    ok = [a for a in asks if a["status"] == 200]
    errors = [a for a in asks if a["status"] != 200]
    inconsistent = [a for a in ok if a["verdict"] != baseline[a["question"]]["verdict"]]
    moved = [a for a in ok if a["verdict"] == baseline[a["question"]]["verdict"] and a["clauses"] != baseline[a["question"]]["clauses"]]
    lags = [p.get("lag_seconds") or 0.0 for p in polls]
    statuses: dict[str, int] = {}
    for a in errors:
        statuses[str(a["status"])] = statuses.get(str(a["status"]), 0) + 1
    return {
        "requests": len(asks), "errors": len(errors), "error_statuses": statuses,
        "error_samples": [a.get("error") for a in errors[:3]],
        "p50_ms": float(np.percentile([a["ms"] for a in ok], 50)) if ok else None,
        "p95_ms": float(np.percentile([a["ms"] for a in ok], 95)) if ok else None,
        "inconsistent": len(inconsistent),
        "inconsistent_samples": [f"{a['question']}: {a['verdict']} (was {baseline[a['question']]['verdict']})"
                                 for a in inconsistent[:3]],
        "citations_changed": len(moved), "citations_changed_questions": sorted({a["question"] for a in moved}),
        "health_polls": len(polls), "health_errors": sum(not health_answered(p) for p in polls),
        "health_degraded": sum(p.get("status") == "degraded" for p in polls),
        "ok_while_behind": sum(ok_while_behind(p) for p in polls),
        "ok_while_store_differs": sum(ok_while_store_differs(p) for p in polls),
        "max_lag_seconds": max(lags) if lags else 0.0,
        "max_lag_chunks": max((p.get("lag_chunks") or 0 for p in polls), default=0),
    }


def reload_scenario(users: int = 20, think: float = 1.0, settle_s: float = 4.0, catch_up_s: float = 240.0,
                    files: int = SYNTH_FILES, sections: int = SYNTH_SECTIONS) -> dict[str, Any]:
    """One ``guidebot serve`` (its own data dir, the bundled corpus ingested first) under ``users``
    REST users and a health poller, through five phases:

    ``before`` (``settle_s``), ``ingest`` (another process ingests ``files`` x ``sections``
    synthetic chunks into the same store; the phase lasts until health says 'ok' at the new count),
    ``after_ingest`` (``settle_s``), ``rebuild`` (another process runs ``guidebot ingest
    --rebuild``, which drops the synthetic chunks again; until 'ok' at the new count) and
    ``after_rebuild`` (``settle_s``).

    Every non-2xx answer is an error: the load starts only once the replica is ready, and a ready
    replica keeps answering from the index it serves while the store changes (the documented 503s
    are for a store that cannot be reached or holds nothing, neither of which happens here).
    A verdict is consistent when it equals the one the same question got before the load began
    (the synthetic chunks are on a topic no question asks about, so no verdict may change).
    Returns the figures per phase and in total (see :func:`summarise_phase`).
    """
    import httpx

    began = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="guidebot-reload-"))
    data = work / "data"
    env = {**os.environ, "GUIDEBOT_DATA_DIR": str(data), "GUIDEBOT_AUDIT_LOG": "false", "PYTHONUNBUFFERED": "1"}
    env.pop("GUIDEBOT_ADMIN_TOKEN", None)
    log = work / "server.log"
    server: subprocess.Popen | None = None
    outside: dict[str, Any] = {}
    try:
        def run_ingest(*args: str) -> dict[str, Any]:
            started = time.monotonic()
            done = subprocess.run([sys.executable, "-m", "app.cli", "ingest", "--json", *args], env=env, cwd=REPO_ROOT,
                                  capture_output=True, text=True, timeout=1200)
            if done.returncode != 0:
                raise RuntimeError(f"ingest {' '.join(args)} failed:\n{done.stderr[-2000:]}")
            summary = json.loads(done.stdout.strip().splitlines()[-1])
            return {"seconds": round(time.monotonic() - started, 1), "chunks_in_store": summary["chunks"]}

        corpus = run_ingest()
        synth = work / "warehouse"
        written = write_synthetic_docs(synth, files, sections)
        port = free_port()
        url = f"http://127.0.0.1:{port}/"
        server = start_app(env, port, log)
        baseline: dict[str, dict[str, Any]] = {}
        for question in RELOAD_QUESTIONS:  # one quiet pass before the load: what every later answer is compared with
            answer = httpx.post(f"{url}api/v1/ask", json={"question": question}, timeout=120).json()
            baseline[question] = {"verdict": answer["verdict"], "clauses": tuple(sorted(c["clause"] for c in answer["citations"]))}
        reader = StoreReader(data)
        with ReloadLoad(url, users, think, reader) as load:
            time.sleep(settle_s)
            for phase, args in (("ingest", (str(synth),)), ("rebuild", ("--rebuild",))):
                load.phase = phase
                result = run_ingest(*args)
                result["catch_up_s"] = load.wait_ok(result["chunks_in_store"], catch_up_s)
                result["collection"] = load.polls[-1].get("collection") if load.polls else None
                outside[phase] = result
                load.phase = f"after_{phase}"
                time.sleep(settle_s)
        asks, polls, durations = load.asks, load.polls, load.seconds()
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        server_log = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
        shutil.rmtree(work, ignore_errors=True)
    phases = {p: {"seconds": durations[p], **summarise_phase([a for a in asks if a["phase"] == p],
                                                             [h for h in polls if h["phase"] == p], baseline)}
              for p in ("before", "ingest", "after_ingest", "rebuild", "after_rebuild")}
    total = summarise_phase(asks, polls, baseline)
    return {
        "users": users, "think_s": think, "questions": len(RELOAD_QUESTIONS), "health_poll_s": load.poll_s,
        "corpus": corpus, "synthetic_chunks_written": written, "outside": outside,
        "baseline": {q: b["verdict"] for q, b in baseline.items()},
        "reload_failures_logged": server_log.count("index reload failed"),
        "seconds": round(time.monotonic() - began, 1),
        "total": {k: total[k] for k in ("requests", "errors", "inconsistent", "citations_changed", "health_polls",
                                         "health_errors", "ok_while_behind", "ok_while_store_differs", "max_lag_seconds",
                                         "max_lag_chunks")},
        "phases": phases,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=1.0)
    parser.add_argument("--scenario", choices=["users", "reload"], default="users",
                        help="users: the phases above; reload: 20 users during an outside ingest and a rebuild")
    args = parser.parse_args()
    if args.scenario == "reload":
        summary = reload_scenario(users=args.users, think=args.think)
        print(json.dumps(summary, indent=1, ensure_ascii=False), flush=True)
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / "reload.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
        return
    from evals.dataset import load_cases

    questions = [c.question for c in load_cases(split="dev")]
    work = Path(tempfile.mkdtemp(prefix="guidebot-load-"))
    procs: list[subprocess.Popen] = []
    results: dict[str, Any] = {}
    try:
        base = {**os.environ, "GUIDEBOT_DATA_DIR": str(work / "one"), "GUIDEBOT_AUDIT_LOG": "true"}
        subprocess.run([sys.executable, "-m", "app.cli", "ingest"], env=base, cwd=REPO_ROOT, check=True, capture_output=True)
        port = free_port()
        procs.append(start_app(base, port))
        for via in ("rest", "queue", "gradio_client"):
            results[f"single_{via}"] = run_users([f"http://127.0.0.1:{port}/"], args.users, args.seconds, args.think, questions, via)
            print(json.dumps({f"single_{via}": results[f"single_{via}"]}, indent=1), flush=True)
        for p in procs:
            p.terminate()
            p.wait(timeout=30)
        procs.clear()

        chroma_port = free_port()
        chroma = Path(sys.executable).parent / "chroma"
        procs.append(subprocess.Popen([str(chroma), "run", "--path", str(work / "chroma"), "--host", "127.0.0.1", "--port",
                                       str(chroma_port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_http(f"http://127.0.0.1:{chroma_port}/api/v2/heartbeat")
        server_env = {**os.environ, "GUIDEBOT_CHROMA_MODE": "server", "GUIDEBOT_CHROMA_PORT": str(chroma_port)}
        subprocess.run([sys.executable, "-m", "app.cli", "ingest"], env={**server_env, "GUIDEBOT_DATA_DIR": str(work / "r0")},
                       cwd=REPO_ROOT, check=True, capture_output=True)
        urls = []
        for i in range(2):
            port = free_port()
            procs.append(start_app({**server_env, "GUIDEBOT_DATA_DIR": str(work / f"r{i}")}, port))
            urls.append(f"http://127.0.0.1:{port}/")
        results["two_replicas_chroma_server"] = run_users(urls, args.users, args.seconds, args.think, questions)
        print(json.dumps({"two_replicas_chroma_server": results["two_replicas_chroma_server"]}, indent=1), flush=True)
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "load.json").write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
