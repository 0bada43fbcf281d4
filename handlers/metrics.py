"""``GET /metrics``: the Prometheus text exposition of ``web.metrics``."""

from connexion.lifecycle import ConnexionResponse
from prometheus_client import CONTENT_TYPE_LATEST

from web import metrics


def get_metrics():
    return ConnexionResponse(
        status_code=200, body=metrics.exposition(), content_type=CONTENT_TYPE_LATEST
    )
