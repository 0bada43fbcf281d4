"""The templates render to code ruff leaves as it is, for the shortest and the longest names
a resource may have: the generated lines never depend on ruff being installed to be clean."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from scaffold import TEMPLATES, _render
from scaffold.names import MAX_LENGTH, Names
from tests.scaffold.conftest import PROJECT

EXTREMES = {
    "short": Names.of("x_ys"),
    "typical": Names.of("project_notes"),
    "longest": Names.of("p" * (MAX_LENGTH - 1) + "s", "q" * MAX_LENGTH),
}
PYTHON_TEMPLATES = sorted(path.name for path in TEMPLATES.glob("*.py.j2"))
SNIPPETS = {"representation.py.j2"}  # a class inserted into a module that imports its names


@pytest.mark.parametrize("names", EXTREMES, ids=str)
def test_the_python_templates_are_ruff_clean_at_every_name_length(tmp_path, names):
    shutil.copy(PROJECT / "ruff.toml", tmp_path)
    n = EXTREMES[names]
    for template in PYTHON_TEMPLATES:
        text = _render(template, n)
        if template in SNIPPETS:
            text = "from marshmallow import Schema, fields\n\n\n" + text
        (tmp_path / template.removesuffix(".j2")).write_text(text)

    for command in (["check", "."], ["format", "--diff", "."]):
        ruff = subprocess.run(
            [sys.executable, "-m", "ruff", *command], cwd=tmp_path, capture_output=True, text=True
        )
        assert ruff.returncode == 0, ruff.stdout + ruff.stderr
