"""Load test (a benchmark, run by ``make bench``): concurrent users against real servers on loopback.

    python -m evals.load [--users 20] [--seconds 60] [--think 1.0]

1. One ``guidebot serve`` on 127.0.0.1; ``--users`` gradio_client users ask dev questions for a
   bounded time, each waiting ``--think`` seconds between questions.
2. Two app replicas sharing one ``chroma run`` server, the users split between them.
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


def run_users(urls: list[str], users: int, seconds: float, think: float, questions: list[str]) -> dict[str, Any]:
    from gradio_client import Client

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.time() + seconds

    def user(i: int) -> None:
        client = Client(urls[i % len(urls)], verbose=False)
        n = i
        while time.time() < stop:
            question = questions[n % len(questions)]
            n += users
            started = time.perf_counter()
            try:
                result = client.predict(question, "auto", api_name="/ask")
                ok = isinstance(result, dict) and "verdict" in result
            except Exception as exc:  # counted, not raised: the point is to count them
                ok = False
                result = repr(exc)[:200]
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if ok:
                    latencies.append(elapsed)
                else:
                    errors.append(str(result))
            time.sleep(think)

    threads = [threading.Thread(target=user, args=(i,)) for i in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {
        "users": users, "seconds": seconds, "think_s": think, "requests": len(latencies) + len(errors), "errors": len(errors),
        "error_samples": errors[:3], "p50_ms": float(np.percentile(latencies, 50)) if latencies else None,
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
        results["single"] = run_users([f"http://127.0.0.1:{port}/"], args.users, args.seconds, args.think, questions)
        print(json.dumps({"single": results["single"]}, indent=1), flush=True)
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
