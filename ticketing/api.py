"""The case service's HTTP API: /api/v1 routes, bearer auth, domain errors as clear 4xx JSON."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session, sessionmaker

from ticketing import routing
from ticketing.bureau.routes import router as bureau_router
from ticketing.call.routes import router as call_router
from ticketing.callback.routes import router as callback_router
from ticketing.caller.routes import router as caller_router
from ticketing.case.errors import (
    AlreadyWithBureau,
    CaseNotFound,
    ConcurrentUpdate,
    InvalidAction,
    InvalidCursor,
    MediaUnavailable,
    NotPermitted,
    UnknownReference,
    UploadRefused,
)
from ticketing.case.idempotency import InvalidKey, KeyInFlight, KeyReused
from ticketing.case.media_routes import router as case_media_router
from ticketing.case.phone import InvalidPhone
from ticketing.case.routes import router as case_router
from ticketing.case.states import IllegalTransition
from ticketing.config import Settings
from ticketing.dataset import Dataset, load_dataset
from ticketing.knowledge.routes import router as knowledge_router
from ticketing.knowledge.service import ArticleNotFound
from ticketing.open311.routes import router as open311_router
from ticketing.qa.routes import router as qa_router
from ticketing.report.routes import router as report_router
from ticketing.routing import RoutingError
from ticketing.user.routes import router as user_router
from ticketing.user.service import UserError
from ticketing.web import docs, health, metrics
from ticketing.web.errors import add_database_handlers
from ticketing.web.guard import RequestGuard
from ticketing.web.headers import SecurityHeaders
from ticketing.webhook.routes import router as webhook_router

log = logging.getLogger(__name__)

ERROR_STATUS: dict[type[Exception], int] = {
    CaseNotFound: status.HTTP_404_NOT_FOUND,
    ArticleNotFound: status.HTTP_404_NOT_FOUND,
    UnknownReference: status.HTTP_422_UNPROCESSABLE_CONTENT,
    InvalidAction: status.HTTP_422_UNPROCESSABLE_CONTENT,
    AlreadyWithBureau: status.HTTP_409_CONFLICT,
    InvalidCursor: status.HTTP_422_UNPROCESSABLE_CONTENT,
    InvalidPhone: status.HTTP_422_UNPROCESSABLE_CONTENT,
    RoutingError: status.HTTP_422_UNPROCESSABLE_CONTENT,
    UserError: status.HTTP_422_UNPROCESSABLE_CONTENT,
    NotPermitted: status.HTTP_403_FORBIDDEN,
    IllegalTransition: status.HTTP_409_CONFLICT,
    ConcurrentUpdate: status.HTTP_409_CONFLICT,
    MediaUnavailable: status.HTTP_404_NOT_FOUND,
    UploadRefused: status.HTTP_422_UNPROCESSABLE_CONTENT,
    KeyReused: status.HTTP_422_UNPROCESSABLE_CONTENT,
    KeyInFlight: status.HTTP_409_CONFLICT,
    InvalidKey: status.HTTP_400_BAD_REQUEST,
}


def create_api(
    settings: Settings,
    *,
    session_factory: sessionmaker[Session] | None = None,
    bus=None,
    lifespan: Callable | None = None,
    dataset: Dataset | None = None,
) -> FastAPI:
    """Build the FastAPI app; the data set (loaded unless given), session factory and bus go on app.state."""
    app = FastAPI(
        title="Citizen service hotline",
        version="1",
        lifespan=lifespan,
        docs_url=None,  # ticketing.web.docs serves /docs from local files
        redoc_url=None,
        description="Cases (工单) of the district hotline: intake, routing, dispatch, deadlines.",
    )
    if session_factory is None:
        from ticketing.database.core import make_engine, make_session_factory

        session_factory = make_session_factory(make_engine(settings.sqlalchemy_url))
    app.state.settings = settings
    app.state.session_factory = session_factory
    # Case intake's threads (ticketing/case/routes.py): as many as the pool has connections to give them.
    app.state.intake_threads = ThreadPoolExecutor(settings.db_pool_size + settings.db_max_overflow,
                                                  thread_name_prefix="intake")
    app.state.dataset = dataset or load_dataset(settings.dataset_dir)
    routing.prepare(app.state.dataset)  # jieba's dictionary loads now, not in the first intakes
    app.state.bus = bus
    for router in (case_router, bureau_router, user_router, call_router, report_router, qa_router,
                   case_media_router, webhook_router, callback_router, knowledge_router, caller_router):
        app.include_router(router, prefix="/api/v1")
    app.include_router(open311_router)
    _add_error_handlers(app)
    health.install(app)
    docs.install(app)
    metrics.install(app)
    # Case attachments may be larger than other bodies: their own limit plus the multipart framing.
    app.add_middleware(RequestGuard, max_body=settings.max_body_bytes,
                       upload_body=settings.attachment_max_bytes + 64 * 1024)
    app.add_middleware(SecurityHeaders)
    return app


def _add_error_handlers(app: FastAPI) -> None:
    for error, code in ERROR_STATUS.items():
        app.add_exception_handler(error, _domain_handler(code))
    app.add_exception_handler(RequestValidationError, _validation_error)
    add_database_handlers(app)


def _domain_handler(code: int):
    async def handle(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "error": type(exc).__name__}, status_code=code)

    return handle


async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    """Answer 400 for a body that is not JSON, 422 naming each bad field otherwise."""
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return JSONResponse(
            {
                "detail": "malformed JSON body: " + "; ".join(_describe(e) for e in errors),
                "error": "MalformedJSON",
            },
            status_code=status.HTTP_400_BAD_REQUEST,
        )
    return JSONResponse(
        {
            "detail": "; ".join(_describe(e) for e in errors),
            "error": "ValidationError",
            "errors": [
                {"field": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg")} for e in errors
            ],
        },
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
    )


def _describe(error: dict) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
    message = str(error.get("msg", "invalid"))
    if error.get("type") == "json_invalid":
        context = error.get("ctx", {}).get("error", "")
        return f"{message} {context}".strip()
    return f"{where}: {message}" if where else message
