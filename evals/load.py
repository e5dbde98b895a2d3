"""Load test (a benchmark, run by ``make bench``): concurrent users against real servers on loopback.

    python -m evals.load [--users 20] [--seconds 60] [--think 1.0]

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
from typing import Any

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


def start_app(env: dict[str, str], port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                            cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=1.0)
    args = parser.parse_args()
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
