"""Database failures as JSON answers: an outage is 503 (retry later), a value it cannot store is 422."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

log = logging.getLogger(__name__)
RETRY_AFTER = "5"


def is_outage(err: Exception) -> bool:
    """Tell whether a database error means the database cannot be reached (not a bad statement)."""
    if isinstance(err, OperationalError | PoolTimeout):
        return True
    return isinstance(err, DBAPIError) and err.connection_invalidated


async def database_error(request: Request, err: Exception) -> JSONResponse:
    """Answer 503 for an unreachable database, 422 for a value it refuses; the driver's text is logged."""
    if isinstance(err, DataError):
        log.info("%s %s: database refused a value: %s", request.method, request.url.path, _first_line(err))
        return JSONResponse({"detail": "a value is out of range or contains characters the database "
                                       "cannot store", "error": "InvalidValue"},
                            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)
    if is_outage(err):
        log.error("%s %s: database unavailable: %s", request.method, request.url.path, _first_line(err))
        return JSONResponse({"detail": "the database is unavailable; try again shortly",
                             "error": "DatabaseUnavailable"}, headers={"Retry-After": RETRY_AFTER},
                            status_code=status.HTTP_503_SERVICE_UNAVAILABLE)
    raise err


def _first_line(err: Exception) -> str:
    return str(getattr(err, "orig", None) or err).splitlines()[0] if str(err) else type(err).__name__


def add_database_handlers(app: FastAPI) -> None:
    """Register the database error handlers on `app`."""
    for error in (DataError, OperationalError, PoolTimeout, DBAPIError):
        app.add_exception_handler(error, database_error)
