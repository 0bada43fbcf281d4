# Multi-stage: build a wheel in one stage, install it into a clean virtualenv in the next.
FROM python:3.11-slim AS build
WORKDIR /src
COPY setup.py README.md alembic.ini app.py cli.py config.py ./
COPY openapi ./openapi
COPY handlers ./handlers
COPY web ./web
COPY auth ./auth
COPY domain ./domain
COPY models ./models
COPY storage ./storage
COPY migrations ./migrations
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --upgrade pip \
 && /opt/venv/bin/pip install --no-cache-dir .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /srv apiserver \
 && mkdir -p /srv/data && chown apiserver /srv/data
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DATABASE_URL=sqlite:////srv/data/apiserver.db \
    WORKERS=2
USER apiserver
WORKDIR /srv
EXPOSE 5000
# Shell form, so that the probe asks the port the command below serves on (${PORT:-5000}).
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:${PORT:-5000}/health/ready', timeout=2).status != 200)"
# Migrate first (serve would too, but a failed migration should stop the container loudly).
CMD ["sh", "-c", "apiserver db upgrade && exec apiserver serve --host 0.0.0.0 --port \"${PORT:-5000}\" --workers \"$WORKERS\""]
