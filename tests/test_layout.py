"""The layout holds: handlers/ serves the contract's operationIds and nothing else; storage/
knows nothing of HTTP or of the contract; the application factory is not the command line."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

import handlers
import openapi

PROJECT = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def public_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    return [
        node.name
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and not node.name.startswith("_")
    ]


@pytest.mark.parametrize("module", sorted(Path(inspect.getfile(handlers)).parent.glob("[!_]*.py")))
def test_every_public_function_of_handlers_is_an_operation_id(module):
    operation_ids = set(openapi.operations())
    strangers = [name for name in public_functions(module) if name not in operation_ids]
    assert not strangers, f"{module.name}: {strangers} are not operationIds of the contract"


@pytest.mark.parametrize("module", sorted((PROJECT / "storage").glob("*.py")))
def test_storage_knows_nothing_of_http_or_the_contract(module):
    forbidden = ("web", "handlers", "domain", "openapi", "connexion", "starlette", "app", "cli")
    imported = imported_modules(module)
    leaks = sorted(name for name in imported if name.split(".")[0] in forbidden)
    assert not leaks, f"storage/{module.name} imports {leaks}"


def test_the_factory_module_is_not_the_command_line():
    assert "argparse" not in imported_modules(PROJECT / "app.py")
    assert "main" not in public_functions(PROJECT / "app.py")
