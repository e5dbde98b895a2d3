"""guidebot's Gradio UI, one module per tab.

``build(assistant=None, settings=None)`` returns the ``gr.Blocks``; ``launch(demo, ...)`` serves it
with the REST API beside it; ``serve(host, port)`` is ``guidebot serve``.  Labels live in
``labels.json`` (Korean and English), styles and scripts in ``static/``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["build", "launch", "serve"]


def __getattr__(name: str) -> Any:  # importing app.ui stays light until the UI is built
    if name in __all__:
        from app.ui import app as _app

        return getattr(_app, name)
    raise AttributeError(name)
