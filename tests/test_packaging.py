"""A plain ``pip install .`` carries everything the server reads at run time."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

# pip builds the project in its folder (build/): one build at a time, with test_docker.py.
pytestmark = pytest.mark.xdist_group("project-build")

PROJECT = Path(__file__).resolve().parents[1]


def test_the_wheel_ships_the_contract_the_migrations_and_alembic_ini(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(tmp_path),
            str(PROJECT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("apiserver-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())

    spec_files = {str(path.relative_to(PROJECT)) for path in (PROJECT / "openapi").rglob("*.yaml")}
    migration_files = {
        str(path.relative_to(PROJECT))
        for path in (PROJECT / "migrations" / "versions").glob("*.py")
    }
    assert spec_files and spec_files <= names
    assert migration_files and migration_files <= names
    assert {
        "migrations/env.py",
        "migrations/script.py.mako",
        "app.py",
        "cli.py",
        "config.py",
    } <= names
    assert any(name.endswith(".data/data/share/apiserver/alembic.ini") for name in names)
