"""The probes: liveness never touches the database, readiness does."""

from storage import db
from tests.helpers import assert_problem


def test_liveness(client):
    response = client.get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readiness_checks_the_database(client):
    response = client.get("/health/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}


def test_readiness_is_503_problem_when_the_database_is_unreachable(client, tmp_path):
    unreachable = db.make_engine(f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}")
    db.SessionFactory.configure(bind=unreachable)

    response = client.get("/health/ready")

    assert_problem(response, 503)
    assert response.headers["retry-after"] == "5"
