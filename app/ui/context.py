"""What every tab builder shares: the assistant, the settings and the language-switch registry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.asking import Failure
from app.ui.i18n import t
from app.ui.lookup import Lookup, lookup_for
from ingest.settings import Settings

Relabel = Callable[[str], Any]  # ui language -> gr.update(...) for one component


@dataclass
class Ctx:
    assistant: Any
    settings: Settings
    default_ui: str = "ko"
    relabels: list[tuple[Any, Relabel]] = field(default_factory=list)
    # (outputs, fn(ui, *values) -> dict) re-rendered on a language switch; inputs are read from ``inputs``
    rerenders: list[tuple[list[Any], list[Any], Callable[..., dict[Any, Any]]]] = field(default_factory=list)
    loaders: list[tuple[list[Any], list[Any], Callable[..., dict[Any, Any]]]] = field(default_factory=list)

    def i18n(self, component: Any, fn: Relabel) -> Any:
        self.relabels.append((component, fn))
        return component

    @property
    def lookup(self) -> Lookup:
        return lookup_for(self.assistant.index)


def failure_message(failure: Failure, ui: str) -> str:
    """A :class:`Failure` in the UI's language."""
    key = {"empty": "err_empty", "too_long": "err_long", "not_text": "err_not_text", "bad_lang": "err_bad_lang",
           "no_index": "err_no_index", "store": "err_store", "internal": "err_internal"}.get(failure.kind, "err_invalid")
    return t(ui, key, **failure.params) if key == "err_long" else t(ui, key)
