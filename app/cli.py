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
        data.pop("flagged", None)  # the JSON keeps the contract's keys; flagged files go to stderr
        click.echo(json.dumps(data, ensure_ascii=False))
        for flagged in summary.flagged:
            click.echo(f"  flagged: {flagged['path']}: {flagged['sentences']} sentence(s) addressed to the model removed", err=True)
    else:
        click.echo(
            f"files: {summary.added} added, {summary.updated} updated, {summary.unchanged} unchanged, "
            f"{summary.deleted} deleted, {len(summary.failed)} failed; "
            f"{summary.chunks} chunks in the index ({summary.embedded} embedded) in {summary.seconds:.1f} s"
        )
        for failure in summary.failed:
            click.echo(f"  failed: {failure['path']}: {failure['reason']}", err=True)
        for flagged in summary.flagged:
            click.echo(f"  flagged: {flagged['path']}: {flagged['sentences']} sentence(s) addressed to the model removed", err=True)
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
    from app.asking import Failure, ask_or_error
    from app.assistant import Assistant
    from ingest.store import StoreError

    if (question is None) == (file is None):
        raise click.UsageError("give either a QUESTION or --file")
    questions = [question or ""]
    if file:
        try:
            questions = [q for q in read_question_list(file).splitlines() if q.strip()]
        except UnicodeDecodeError as exc:
            raise click.ClickException(f"{file.name}: not UTF-8, UTF-16 or CP949 text; save it as UTF-8") from exc
    try:
        assistant = Assistant(k=k)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    failed = False
    for text in questions:
        result = ask_or_error(assistant, text, lang)
        if isinstance(result, Failure):
            failed = True
            if as_json:
                click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
            else:
                click.echo(f"error: {result.message}", err=True)
            if result.kind in ("no_index", "store"):
                break
            continue
        if as_json:
            click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
        else:
            click.echo(result.to_markdown())
    if failed and not file:
        sys.exit(2)


def read_question_list(path: Path) -> str:
    """A question list as text: UTF-8 (with or without BOM), UTF-16 with a BOM, or CP949 (EUC-KR)."""
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp949")


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=7860, show_default=True, type=int)
def serve_cmd(host: str, port: int) -> None:
    """Serve the Gradio UI (binds 127.0.0.1 unless told otherwise)."""
    from app.ui.app import serve

    serve(host=host, port=port)


@main.command("eval")
@click.option("--dataset", type=click.Path(exists=True, path_type=Path), default=None,
              help="A dataset folder or JSONL file (default: the newest evals/datasets version).")
@click.option("--split", type=click.Choice(["dev", "test", "all"]), default="test", show_default=True)
@click.option("--backend", default=None, help="Answer backend (default: the configured one).")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Report folder.")
@click.option("--baselines/--no-baselines", default=True, show_default=True)
def eval_cmd(dataset: Path | None, split: str, backend: str | None, out: Path | None, baselines: bool) -> None:
    """Run the answer-fidelity suite; exit 1 when a metric falls under its threshold.

    The suite lives in the ``evals`` package (``python -m evals``); ``app`` never imports it.
    """
    import subprocess

    args = [sys.executable, "-m", "evals", "--split", split] + (["--dataset", str(dataset)] if dataset else [])
    args += (["--backend", backend] if backend else []) + (["--out", str(out)] if out else [])
    args += [] if baselines else ["--no-baselines"]
    sys.exit(subprocess.call(args))


if __name__ == "__main__":  # pragma: no cover
    main()
