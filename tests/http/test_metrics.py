"""GET /metrics in Prometheus format."""

from tests.helpers import auth, password_grant


def sample(text: str, name: str, **labels) -> float:
    for line in text.splitlines():
        if line.startswith(name + "{") and all(
            f'{key}="{value}"' in line for key, value in labels.items()
        ):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_requests_latency_grants_and_pool(client, people, demo_data):
    before = client.get("/metrics").text
    client.get("/api/v1/users/me", headers=auth(people["alice"]))
    password_grant(client)
    password_grant(client, password="wrong")

    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    labels = {"operation_id": "get_current_user", "method": "GET", "status": "200"}
    assert (
        sample(text, "apiserver_requests_total", **labels)
        == sample(before, "apiserver_requests_total", **labels) + 1
    )
    assert (
        sample(text, "apiserver_request_duration_seconds_count", operation_id="get_current_user")
        >= 1
    )
    for outcome in ("issued", "refused"):
        grant = {"grant_type": "password", "outcome": outcome}
        assert (
            sample(text, "apiserver_token_grants_total", **grant)
            == sample(before, "apiserver_token_grants_total", **grant) + 1
        )
    assert "apiserver_db_connections_in_use" in text
