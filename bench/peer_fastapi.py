"""The code-first peer: FastAPI + SQLAlchemy Core, served by uvicorn.

    uvicorn --workers 2 --app-dir bench peer_fastapi:app

Sync endpoints (FastAPI runs them in its thread pool), the queries in ``comparison.py``, no
contract layer beyond FastAPI's own parameter parsing.
"""

from __future__ import annotations

import json

import comparison
from fastapi import FastAPI, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

app = FastAPI()


@app.get("/api/v1/users/me")
def get_current_user(authorization: str | None = Header(default=None)) -> JSONResponse:
    status, body = comparison.current_user(authorization)
    return JSONResponse(body, status_code=status)


@app.get("/api/v1/teams/")
def list_teams(
    offset: int = 0, limit: int = 20, authorization: str | None = Header(default=None)
) -> JSONResponse:
    status, body, headers = comparison.teams_page(authorization, offset, limit)
    return JSONResponse(body, status_code=status, headers=headers)


@app.patch("/api/v1/teams/{team_id}")
async def patch_team(
    team_id: int, request: Request, authorization: str | None = Header(default=None)
) -> JSONResponse:
    operations = json.loads(await request.body())
    status, body, headers = await run_in_threadpool(
        comparison.patch_team, authorization, team_id, operations
    )
    return JSONResponse(body, status_code=status, headers=headers)


@app.get("/health/ready")
def ready() -> JSONResponse:
    return JSONResponse({"status": "ready"})
