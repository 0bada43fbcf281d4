"""The templates, tested: in a copy of the source tree, `apiserver scaffold` writes two
resources (a short name, and one near the longest allowed, for the generated lines' lengths);
the tree is then ruff-clean, its contract lint-clean, its migrations match its models, and the
generated resources pass their own tests, the permission matrix and a short schemathesis run,
on SQLite and (with TEST_DATABASE_URL, as in CI) PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.scaffold.conftest import copy_of_the_source_tree

pytestmark = [pytest.mark.scaffold, pytest.mark.no_cover]

RESOURCES = ("example_widgets", "quarterly_financial_summaries")
SELECTED = "example_widget or quarterly_financial_summar"


def run(tree, *command, **environment):
    """A command in the copy, on the copy's own code (pytest-cov's hooks left out)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("COV_CORE")}
    env.update(environment)
    env.pop("PYTHONPATH", None)
    return subprocess.run(
        [sys.executable, *command], cwd=tree, env=env, capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory):
    tree = copy_of_the_source_tree(tmp_path_factory.mktemp("scaffolded"))
    outputs = {}
    for plural in RESOURCES:
        finished = run(tree, "-m", "cli", "scaffold", plural)
        assert finished.returncode == 0, finished.stderr
        outputs[plural] = finished.stdout
    return tree, outputs


def test_it_writes_what_it_says(scaffolded):
    tree, outputs = scaffolded
    for plural, out in outputs.items():
        assert out.startswith(f"apiserver scaffold {plural} wrote:\n"), out
        written = [line.split()[1] for line in out.splitlines() if line.startswith("  c")]
        assert len(written) == 15, out
        assert all((tree / path).is_file() for path in written)
        assert "migrations/versions/2" in out and f"create_the_{plural}_table.py" in out


def test_the_tree_stays_ruff_clean(scaffolded):
    tree, _ = scaffolded
    for command in (["check", "."], ["format", "--check", "."]):
        finished = run(tree, "-m", "ruff", *command)
        assert finished.returncode == 0, finished.stdout + finished.stderr


def test_the_contract_stays_lint_clean_and_serves_the_new_paths(scaffolded):
    tree, _ = scaffolded
    lint = run(tree, "-m", "cli", "openapi", "lint")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    bundle = run(tree, "-m", "cli", "openapi", "bundle")
    assert '"/api/v1/example_widgets/{example_widget_id}"' in bundle.stdout
    assert '"quarterly_financial_summaries:write"' in bundle.stdout


def test_a_second_scaffold_of_a_resource_is_refused(scaffolded):
    tree, _ = scaffolded
    again = run(tree, "-m", "cli", "scaffold", "example_widgets")
    assert again.returncode == 2
    assert again.stderr.strip().endswith(
        "clashes with an existing resource: the tag example_widgets exists"
    )


def test_the_generated_resources_pass_their_tests_there(scaffolded):
    tree, _ = scaffolded
    own = [f"tests/http/test_{plural}.py" for plural in RESOURCES]
    finished = run(
        tree, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-n", "0", *own,
        "tests/migrations", "tests/contract/test_spec.py", "tests/test_layout.py",
    )  # fmt: skip
    assert finished.returncode == 0, finished.stdout[-3000:]
    assert " passed" in finished.stdout


def test_the_generated_resources_join_the_contract_driven_suites(scaffolded):
    tree, _ = scaffolded
    finished = run(
        tree, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-n", "0", "-k", SELECTED,
        "tests/auth/test_permissions.py", "tests/web/test_resolver.py",
        "tests/contract/test_schemathesis.py",
        FUZZ_EXAMPLES="10",
    )  # fmt: skip
    assert finished.returncode == 0, finished.stdout[-3000:]
    # The permission matrix: five operations by seven callers, for each resource.
    assert int(finished.stdout.split(" passed")[0].split()[-1]) >= 2 * 5 * 7
