"""guidebot's answering side: retrieval, verdicts, cited answers, the CLI and the Gradio UI.

``from app import Assistant`` is the one entry point the CLI, the UI and the evals share.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.answer import Answer
    from app.assistant import Assistant

__all__ = ["Answer", "Assistant"]


def __getattr__(name: str) -> Any:  # keep `import app` light: models load only when asked for
    if name == "Assistant":
        from app.assistant import Assistant

        return Assistant
    if name == "Answer":
        from app.answer import Answer

        return Answer
    raise AttributeError(name)
