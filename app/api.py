"""The REST API served beside the UI, for portals, scripts and load balancers.

    POST /api/v1/ask     {"question": "...", "lang": "auto" | "ko" | "en"}
                         200: the answer contract's JSON object (``Answer.to_dict()``)
                         400: {"error": "..."} for an empty or oversized question
                         503: {"error": "..."} when the index store cannot be reached
    GET  /api/v1/health  200: {"status": "ok", "chunks": N, "embedder": "..."}; 503 when the store is down

The Gradio endpoint ``/ask`` answers the same questions for gradio_client and the browser; this
route skips Gradio's per-request session set-up, which for a UI of this size costs more than
the answer itself (measured: 49% of the server's time under load went to it).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Literal

from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field

from ingest.store import StoreError

if TYPE_CHECKING:
    from app.assistant import Assistant

log = logging.getLogger(__name__)


class AskRequest(BaseModel):
    question: str = Field(description="The official's question, in Korean or English")
    lang: Literal["auto", "ko", "en"] = Field("auto", description="Answer language; 'auto' detects it")


def routes(assistant: Assistant) -> list[APIRoute]:
    """The API's routes, bound to ``assistant``."""
    from app.assistant import QuestionError

    def ask(request: AskRequest) -> Any:
        try:
            answer = assistant.ask(request.question, lang=None if request.lang == "auto" else request.lang)
        except QuestionError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        except StoreError as exc:
            return JSONResponse({"error": str(exc)}, status_code=503)
        except Exception as exc:  # never a traceback to the caller; the log has it (the question is not logged)
            log.exception("/api/v1/ask failed")
            return JSONResponse({"error": f"internal error ({type(exc).__name__}); see the server log"}, status_code=500)
        return answer.to_dict()

    def health() -> Any:
        try:
            chunks = assistant.store.count()
        except StoreError as exc:
            return JSONResponse({"status": "unavailable", "error": str(exc)}, status_code=503)
        return {"status": "ok", "chunks": chunks, "indexed": assistant.index.count, "embedder": assistant.store.embedder_id}

    return [
        APIRoute("/api/v1/ask", ask, methods=["POST"], summary="Answer one question with a verdict and cited clauses"),
        APIRoute("/api/v1/health", health, methods=["GET"], summary="Whether the index store is reachable"),
    ]
