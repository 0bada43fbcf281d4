"""The hand-written reference: Flask + SQLAlchemy Core, served by gunicorn (sync or gthread).

    gunicorn --workers 2 [--threads 8] --chdir bench reference_flask:app

Answers W1, W2 and W3 with the queries in ``comparison.py``; no contract layer.
"""

from __future__ import annotations

import json

import comparison
from flask import Flask, Response, request

app = Flask(__name__)


def _json(status: int, body, headers: dict | None = None) -> Response:
    return Response(
        json.dumps(body), status=status, headers=headers, content_type="application/json"
    )


@app.get("/api/v1/users/me")
def get_current_user() -> Response:
    return _json(*comparison.current_user(request.headers.get("Authorization")))


@app.get("/api/v1/teams/")
def list_teams() -> Response:
    offset = request.args.get("offset", 0, type=int)
    limit = request.args.get("limit", 20, type=int)
    return _json(*comparison.teams_page(request.headers.get("Authorization"), offset, limit))


@app.patch("/api/v1/teams/<int:team_id>")
def patch_team(team_id: int) -> Response:
    operations = request.get_json(force=True)
    return _json(*comparison.patch_team(request.headers.get("Authorization"), team_id, operations))


@app.get("/health/ready")
def ready() -> Response:
    return _json(200, {"status": "ready"})
