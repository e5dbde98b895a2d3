"""The ``guidebot`` command: ingest, ask, serve, eval."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

import ingest.settings  # noqa: F401  (sets the offline switches before anything else loads)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """guidebot: cited answers on AI ethics and generative-AI-use guidelines for public officials."""


@main.command("ingest")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--rebuild", is_flag=True, help="Drop the index and embed everything anew.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
def ingest_cmd(paths: tuple[Path, ...], rebuild: bool, as_json: bool) -> None:
    """Index corpus/ (default) or the given files and folders, incrementally.

    \b
    Examples:
      guidebot ingest                      # the bundled corpus
      guidebot ingest ~/guidelines --json  # an organisation's own documents
    """
    from ingest.pipeline import ingest
    from ingest.store import StoreError

    bar = None
    if sys.stderr.isatty() and not as_json:
        from tqdm import tqdm

        bar = tqdm(unit="file", file=sys.stderr)

    def progress(done: int, total: int, path: str) -> None:
        if bar is not None:
            bar.total = total
            bar.set_postfix_str(path[-40:])
            bar.update(1)

    try:
        summary = ingest(list(paths) or None, rebuild=rebuild, progress=progress)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        if bar is not None:
            bar.close()
    if as_json:
        data = summary.to_dict()
        data.pop("embedded", None)
        click.echo(json.dumps(data, ensure_ascii=False))
    else:
        click.echo(
            f"files: {summary.added} added, {summary.updated} updated, {summary.unchanged} unchanged, "
            f"{summary.deleted} deleted, {len(summary.failed)} failed; "
            f"{summary.chunks} chunks in the index ({summary.embedded} embedded) in {summary.seconds:.1f} s"
        )
        for failure in summary.failed:
            click.echo(f"  failed: {failure['path']}: {failure['reason']}", err=True)
    if not summary.ok:
        sys.exit(1)


@main.command("ask")
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the answer contract as JSON.")
@click.option("--lang", type=click.Choice(["ko", "en", "auto"]), default="auto", show_default=True)
@click.option("--k", "k", type=click.IntRange(1, 20), default=None, help="Clauses to cite at most.")
@click.option("--file", "file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Answer one question per line (JSON Lines out with --json).")
def ask_cmd(question: str | None, as_json: bool, lang: str, k: int | None, file: Path | None) -> None:
    """Answer a question with a verdict and cited clauses.

    \b
    Examples:
      guidebot ask "부산시 지침의 4대 가치는?"
      guidebot ask --json "May I paste a complaint into ChatGPT?"
      guidebot ask --json --file questions.txt
    """
    from app.assistant import Assistant, QuestionError
    from ingest.store import StoreError

    if (question is None) == (file is None):
        raise click.UsageError("give either a QUESTION or --file")
    try:
        assistant = Assistant(k=k)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    questions = file.read_text(encoding="utf-8").splitlines() if file else [question or ""]
    if file:
        questions = [q for q in questions if q.strip()]
    failed = False
    for text in questions:
        try:
            answer = assistant.ask(text, lang=None if lang == "auto" else lang)
        except QuestionError as exc:
            failed = True
            if as_json:
                click.echo(json.dumps({"error": str(exc)}, ensure_ascii=False))
            else:
                click.echo(f"error: {exc}", err=True)
            continue
        if as_json:
            click.echo(json.dumps(answer.to_dict(), ensure_ascii=False))
        else:
            click.echo(answer.to_markdown())
    if failed and not file:
        sys.exit(2)


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=7860, show_default=True, type=int)
def serve_cmd(host: str, port: int) -> None:
    """Serve the Gradio UI (binds 127.0.0.1 unless told otherwise)."""
    from app.ui import serve

    serve(host=host, port=port)


@main.command("eval")
@click.option("--dataset", type=click.Path(exists=True, path_type=Path), default=None,
              help="A dataset folder or JSONL file (default: the newest evals/datasets version).")
@click.option("--split", type=click.Choice(["dev", "test", "all"]), default="test", show_default=True)
@click.option("--backend", default=None, help="Answer backend (default: the configured one).")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Report folder.")
@click.option("--baselines/--no-baselines", default=True, show_default=True)
def eval_cmd(dataset: Path | None, split: str, backend: str | None, out: Path | None, baselines: bool) -> None:
    """Run the answer-fidelity suite; exit 1 when a metric falls under its threshold."""
    from evals.runner import run_eval

    report = run_eval(dataset=dataset, split=split, backend=backend, out=out, baselines=baselines, progress=True)
    click.echo(report.summary_text())
    if not report.passed:
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
