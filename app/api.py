"""The REST API served beside the UI, for portals, scripts and load balancers.

    POST /api/v1/ask     {"question": "...", "lang": "auto" | "ko" | "en"}
                         200: the answer contract's JSON object (``Answer.to_dict()``)
                         400: {"error": "..."} for an empty or oversized question
                         503: {"error": "..."} when the store cannot be reached or nothing is indexed
    GET  /api/v1/health  200: {"status": "ok" | "degraded", "chunks": served N, "store_chunks": N, "lag_chunks": N,
                         "lag_seconds": S, ...} (``Assistant.health``); 503 with "status": "down" when the
                         store cannot be reached

Admin routes (``Authorization: Bearer <GUIDEBOT_ADMIN_TOKEN>``; 403 without it).  They exist only
when a token is set; otherwise every ``/api/v1/admin/...`` request is refused with 403:

    POST   /api/v1/admin/documents?name=F   the raw file as the body (capped at ``max_file_mb``; 413 above)
    DELETE /api/v1/admin/documents/{name}   remove an uploaded file and its chunks
    POST   /api/v1/admin/reindex            re-index the corpus and the uploads

The Gradio endpoint ``/ask`` answers the same questions for gradio_client and the browser; this
route skips Gradio's per-request session set-up, which for a UI of this size costs more than
the answer itself (measured: 49% of the server's time under load went to it).
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from fastapi import Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field

from app.asking import Failure, ask_or_error
from app.roles import AdminError, admin_enabled, bearer, check_token

if TYPE_CHECKING:
    from app.assistant import Assistant

log = logging.getLogger(__name__)


class AskRequest(BaseModel):
    question: str = Field(description="The official's question, in Korean or English")
    lang: Literal["auto", "ko", "en"] = Field("auto", description="Answer language; 'auto' detects it")


def _refused(exc: AdminError) -> JSONResponse:
    return JSONResponse({"error": str(exc)}, status_code=403)


def routes(assistant: Assistant) -> list[APIRoute]:
    """The API's routes, bound to ``assistant``."""

    def ask(request: AskRequest) -> Any:
        result = ask_or_error(assistant, request.question, request.lang)
        if isinstance(result, Failure):
            return JSONResponse(result.to_dict(), status_code=result.status)
        return result.to_dict()

    def health() -> Any:
        # The replica's own report: 'ok' only while the served index is the store's current state.
        report = assistant.health()
        return JSONResponse(report, status_code=503) if report["status"] == "down" else report

    out = [
        APIRoute("/api/v1/ask", ask, methods=["POST"], summary="Answer one question with a verdict and cited clauses"),
        APIRoute("/api/v1/health", health, methods=["GET"], summary="Whether this replica serves what the store holds (ok, degraded with the lag, down)"),
    ]
    return out + (admin_routes(assistant) if admin_enabled(assistant.settings) else [disabled_admin_route()])


def disabled_admin_route() -> APIRoute:
    """With no admin token set there are no admin functions: every admin path answers 403."""

    def refuse(path: str) -> Any:
        return _refused(AdminError("admin functions are switched off on this server (no GUIDEBOT_ADMIN_TOKEN is set)"))

    return APIRoute("/api/v1/admin/{path:path}", refuse, methods=["GET", "POST", "PUT", "DELETE"], include_in_schema=False)


def admin_routes(assistant: Assistant) -> list[APIRoute]:
    from app import library

    settings = assistant.settings
    cap = int(settings.max_file_mb * 1024 * 1024)

    async def upload(request: Request, name: str) -> Any:
        try:
            actor = check_token(settings, bearer(request.headers.get("authorization")))
        except AdminError as exc:
            return _refused(exc)
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > cap:
            return JSONResponse({"error": f"file too large (limit {settings.max_file_mb:g} MB)"}, status_code=413)
        with tempfile.TemporaryDirectory(prefix="guidebot-upload-") as tmp:
            target = Path(tmp) / library.safe_name(name)
            size = 0
            with target.open("wb") as handle:
                async for part in request.stream():
                    size += len(part)
                    if size > cap:
                        return JSONResponse({"error": f"file too large (limit {settings.max_file_mb:g} MB)"}, status_code=413)
                    handle.write(part)
            result = library.ingest_uploads([target], settings, actor=actor)
        library.refresh_assistant(assistant, settings)
        return {"saved": [p.name for p in result.saved], "failed": result.failed, "removed": result.removed,
                "summary": result.summary}

    def delete(request: Request, name: str) -> Any:
        try:
            actor = check_token(settings, bearer(request.headers.get("authorization")))
            summary = library.delete_upload(name, settings, actor=actor)
        except AdminError as exc:
            return _refused(exc)
        except FileNotFoundError as exc:
            return JSONResponse({"error": str(exc)}, status_code=404)
        library.refresh_assistant(assistant, settings)
        return summary

    def reindex(request: Request) -> Any:
        try:
            actor = check_token(settings, bearer(request.headers.get("authorization")))
        except AdminError as exc:
            return _refused(exc)
        summary = library.reindex(settings, actor=actor)
        library.refresh_assistant(assistant, settings)
        return summary

    return [
        APIRoute("/api/v1/admin/documents", upload, methods=["POST"], summary="Add a document (admin token)"),
        APIRoute("/api/v1/admin/documents/{name}", delete, methods=["DELETE"], summary="Delete an uploaded document (admin)"),
        APIRoute("/api/v1/admin/reindex", reindex, methods=["POST"], summary="Re-index corpus and uploads (admin token)"),
    ]
