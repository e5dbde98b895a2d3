"""Small HTML pieces shared by the tabs: escaping, verdict badges, tags, notes, links to official sources."""

from __future__ import annotations

import html
import re
from typing import Any

from app.answer import BASIS_LABELS, VERDICT_LABELS, VERDICTS
from app.ui.i18n import t, ui_lang

VERDICT_ICONS = {"allowed": "✔", "conditional": "!", "not_allowed": "✖", "not_covered": "?", "info": "i"}
_BASIS_HELP = {"press-reports": "basis_press", "official-summary": "basis_summary", "official-text": "basis_text",
               "organisation-upload": "basis_upload"}
_DOMAIN = re.compile(r"(?<![A-Za-z0-9@/.-])((?:[a-z0-9-]+\.)+(?:go\.kr|or\.kr|re\.kr|gov\.uk|gov|govt\.nz|ca|kr|blog\.gov\.uk))"
                     r"(?![A-Za-z0-9-])")


def esc(text: Any) -> str:
    return html.escape(str(text if text is not None else ""), quote=True)


def verdict_badge(verdict: str, ui: str, small: bool = False, hint: bool = True) -> str:
    ui = ui_lang(ui)
    verdict = verdict if verdict in VERDICTS else "not_covered"
    label = VERDICT_LABELS[ui][verdict]
    extra = f'<span class="gb-hint">{esc(t(ui, "hint_" + verdict))}</span>' if hint and not small else ""
    return (
        f'<div class="gb-badge gb-v-{verdict}{" gb-small" if small else ""}" data-verdict="{verdict}">'
        f'<span class="gb-icon" aria-hidden="true">{VERDICT_ICONS[verdict]}</span>'
        f'<span><span class="gb-k">{esc(t(ui, "verdict"))}</span> <strong>{esc(label)}</strong>{extra}</span></div>'
    )


def basis_tag(basis: str, ui: str) -> str:
    ui = ui_lang(ui)
    label = BASIS_LABELS[ui].get(basis, basis)
    why = _BASIS_HELP.get(basis)
    title = f' title="{esc(t(ui, why))}"' if why else ""
    return f'<span class="gb-tag gb-b-{esc(basis)}"{title}>{esc(label)}</span>'


def stance_tag(stance: str, ui: str) -> str:
    return f'<span class="gb-tag gb-s-{esc(stance)}">{esc(t(ui, "stance_" + stance))}</span>'


def official_source(text: str) -> str:
    """The document's official-source note, escaped, with its web addresses as links."""
    return _DOMAIN.sub(lambda m: f'<a href="https://{m.group(1)}" target="_blank" rel="noopener">{m.group(1)}</a>', esc(text))


def render_error(message: str) -> str:
    return f'<div class="gb-error" role="alert">⚠ {esc(message)}</div>' if message else ""


def render_ok(message: str) -> str:
    return f'<div class="gb-note gb-result-ok" role="status">{esc(message)}</div>'


def paragraphs(text: str) -> str:
    return "<br>".join(esc(line) for line in text.splitlines() if line.strip())
