"""A copy of the source tree to scaffold into: the real one is never written by a test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
# What a checkout holds that is not source: tools' caches, virtualenvs, databases, build output.
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "node_modules", "__pycache__", "*.egg-info", "build", ".coverage*",
    "*.db", "*.db-*", ".pytest_cache", ".ruff_cache", "htmlcov",
)  # fmt: skip


def copy_of_the_source_tree(destination: Path) -> Path:
    tree = destination / "apiserver"
    shutil.copytree(PROJECT, tree, ignore=NOT_SOURCE)
    return tree


def files_of(tree: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(tree)): path.read_bytes()
        for path in sorted(tree.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


@pytest.fixture
def source_copy(tmp_path) -> Path:
    return copy_of_the_source_tree(tmp_path)
