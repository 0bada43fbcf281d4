"""``apiserver openapi lint``: clean on the contract, precise on a broken copy of it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import cli
import openapi
from openapi.lint import lint


def test_the_contract_is_clean(capsys):
    assert lint() == []
    assert cli.main(["openapi", "lint"]) == 0
    assert "clean" in capsys.readouterr().err


@pytest.fixture
def broken(tmp_path):
    """A copy of the contract to break; returns (root document, edit function)."""
    copy = tmp_path / "openapi"
    shutil.copytree(openapi.SPEC_DIR, copy, ignore=shutil.ignore_patterns("*.py", "__pycache__"))

    def edit(relative: str, old: str, new: str) -> Path:
        path = copy / relative
        text = path.read_text()
        assert old in text, f"{old!r} is not in {relative}"
        path.write_text(text.replace(old, new, 1))
        return path

    return copy / "openapi.yaml", edit


def line_of(path: Path, text: str) -> int:
    return next(
        number for number, line in enumerate(path.read_text().splitlines(), 1) if text in line
    )


@pytest.mark.parametrize(
    ("file", "old", "new", "anchor", "message"),
    [
        (
            "components/schemas.yaml",
            "  minLength: 3\n  maxLength: 50\n  pattern",
            "  minLength: 3\n  pattern",
            "TeamTitle:",
            "needs maxLength",
        ),
        (
            "components/schemas.yaml",
            '  maxLength: 30\n  pattern: "^[^\\\\u0000]*$"\n',
            "  maxLength: 30\n",
            "PersonName:",
            "must refuse NUL characters",
        ),
        (
            "components/parameters.yaml",
            'schema: {type: string, maxLength: 4000, pattern: "^[^\\\\u0000]*$"}',
            'schema: {type: string, maxLength: 4000, pattern: "^[^~]*$"}',
            "name: scope",
            "must refuse NUL characters",
        ),
        (
            "components/schemas.yaml",
            "TeamMemberCreate:\n  type: object\n  required: [user_id]\n  additionalProperties: false\n",
            "TeamMemberCreate:\n  type: object\n  required: [user_id]\n",
            "TeamMemberCreate:",
            "additionalProperties: false",
        ),
        (
            "components/schemas.yaml",
            "example: alice\n",
            "example: a\n",
            "example: a",
            "example does not match",
        ),
        (
            "paths/teams.yaml",
            "    operationId: delete_team\n    x-openapi",
            "    operationId: deleteTeam\n    x-openapi",
            "    operationId: deleteTeam",
            "not snake_case",
        ),
        (
            "paths/teams.yaml",
            "            operationId: delete_team\n",
            "            operationId: drop_team\n",
            "            operationId: drop_team",
            "names an unknown operationId",
        ),
    ],
)
def test_each_problem_names_its_file_and_line(broken, file, old, new, anchor, message):
    root, edit = broken
    path = edit(file, old, new)

    problems = lint(root)

    matching = [problem for problem in problems if message in problem]
    assert matching, problems
    # The problem points at the mapping that holds the broken line: at it, or a few lines above.
    anchor_line = line_of(path, anchor)
    lines = [
        int(problem.split(f"{file}:")[1].split(":")[0])
        for problem in matching
        if f"{file}:" in problem
    ]
    assert any(anchor_line - 12 <= line <= anchor_line + 1 for line in lines), (
        anchor_line,
        matching,
    )


def test_an_undocumented_400_is_reported_at_the_responses(broken):
    root, edit = broken
    path = edit(
        "paths/health.yaml",
        '      "400": {$ref: "../components/responses.yaml#/BadRequest"}\nready:',
        "ready:",
    )
    problems = lint(root)
    assert any(
        "GET /health/live does not document 400" in p and "paths/health.yaml:" in p
        for p in problems
    )
    assert path.exists()


def test_a_templated_path_before_a_static_one_is_reported(broken):
    root, edit = broken
    edit(
        "openapi.yaml",
        "  /api/v1/users/me:\n    $ref: paths/users.yaml#/me\n  /api/v1/users/{user_id}:\n    $ref: paths/users.yaml#/user\n",
        "  /api/v1/users/{user_id}:\n    $ref: paths/users.yaml#/user\n  /api/v1/users/me:\n    $ref: paths/users.yaml#/me\n",
    )
    assert any("would capture it" in problem for problem in lint(root))


def test_a_duplicate_operation_id_is_reported(broken):
    root, edit = broken
    edit(
        "paths/teams.yaml",
        "    operationId: get_team\n    x-",
        "    operationId: list_teams\n    x-",
    )
    assert any("list_teams" in problem and "not unique" in problem for problem in lint(root))


def test_a_broken_reference_is_reported(broken):
    root, edit = broken
    edit("paths/teams.yaml", "schemas.yaml#/TeamCreate", "schemas.yaml#/NoSuchSchema")
    problems = lint(root)
    assert len(problems) == 1 and "NoSuchSchema" in problems[0]


def test_the_cli_exits_1_and_lists_problems(broken, monkeypatch, capsys):
    root, edit = broken
    edit(
        "paths/teams.yaml",
        "    operationId: delete_team\n    x-openapi",
        "    operationId: deleteTeam\n    x-openapi",
    )
    monkeypatch.setattr(openapi, "ROOT_DOCUMENT", root)

    assert cli.main(["openapi", "lint"]) == 1
    assert "not snake_case" in capsys.readouterr().out
