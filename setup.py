"""Packaging for apiserver. ``pip install .`` ships the code, the contract and the migrations.

The project's folders are installed as top-level packages (handlers, web, auth, domain, models,
storage, openapi, migrations) and modules (app, cli, config): an application, not a library, so
install it into its own virtualenv or image, as the Makefile and Dockerfile do.
"""

from setuptools import setup

setup(
    name="apiserver",
    version="1.0.0",
    description="A spec-first REST API server: users, teams and an OAuth 2 authorization server",
    python_requires=">=3.11",
    packages=[
        "handlers",
        "web",
        "auth",
        "domain",
        "models",
        "storage",
        "openapi",
        "migrations",
        "scaffold",
    ],
    py_modules=["app", "cli", "config"],
    package_data={
        "openapi": ["*.yaml", "paths/*.yaml", "components/*.yaml"],
        "migrations": ["script.py.mako", "versions/*.py"],
        "scaffold": ["templates/*.j2"],
        "web": ["templates/*.html", "*.lua"],
    },
    data_files=[("share/apiserver", ["alembic.ini"])],
    install_requires=[
        "connexion[swagger-ui,uvicorn]==3.3.0",
        # Connexion leaves Starlette unpinned; 1.0 broke older Connexions (connexion#2114).
        "starlette>=1.10,<1.11",
        "flask>=3.1,<4",
        # asyncio: greenlet, which runs storage code on the event loop over psycopg's async
        # connections (storage.db.run_on_the_loop).
        "sqlalchemy[asyncio]>=2.0.30,<2.2",
        "alembic>=1.13,<2",
        "marshmallow>=4,<5",
        "oauthlib>=3.2,<5",
        "bcrypt>=4.1,<6",
        "jsonpatch>=1.33,<2",
        "openapi-spec-validator>=0.7,<0.10",
        "pyyaml>=6,<7",
        "psycopg[binary]>=3.2,<4",
        "uvicorn[standard]>=0.30,<1",
        "gunicorn>=23",
        "uvicorn-worker>=0.3,<1",
        # Rate limits, with Redis as the shared counter store of several workers or nodes (redis-py
        # has the asyncio client that handlers on the event loop count through).
        "limits[redis]>=5,<6",
        # redis-py's reply parser in C: a count in Redis on the event loop took
        # 145 µs of CPU with redis-py's pure-Python parser, 80 with hiredis (bench/README.md).
        "hiredis>=3,<4",
        "prometheus-client>=0.20,<1",
        # apiserver scaffold renders its templates with it (Flask requires it too).
        "jinja2>=3.1,<4",
    ],
    extras_require={
        # bench/run.py: the FastAPI peer it compares against, psutil for RSS per worker, and the
        # profilers bench/README.md was written with.
        "bench": ["fastapi>=0.115", "psutil>=5.9", "py-spy>=0.3", "pyinstrument>=4.6"],
        # `apiserver sdk python|typescript` (the TypeScript generator runs on the machine's Java).
        "sdk": [
            "openapi-python-client>=0.29,<0.30",
            "openapi-generator-cli>=7.20,<8",
        ],
        "test": [
            # The PKCE client of the authorization code flow's tests (tests/browser.py).
            "authlib>=1.3,<2",
            "openapi-python-client>=0.29,<0.30",
            "openapi-generator-cli>=7.20,<8",
            # Drives the Debian chromium (executable_path); never downloads a browser.
            "playwright>=1.50,<2",
            # schemathesis 4.32 reads pytest's Function._nodeid, which pytest 9 removed.
            "pytest>=8,<9",
            "pytest-cov>=5",
            # make test and make check run the suite on every core (-n auto, --dist loadgroup).
            "pytest-xdist>=3.6,<4",
            "ruff>=0.6",
            "schemathesis>=4.32,<5",
        ],
    },
    entry_points={"console_scripts": ["apiserver = cli:main"]},
)
