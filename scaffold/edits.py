"""The changes a new resource makes to files it shares with the others: its paths, tag and
scopes in the contract, its model's import, its representation, its permission rule, its event
loop reads, its README rows. Each edit finds its place by the shape of the text around it and
raises ``Unrecognised`` when that shape is not there, before anything is written."""

from __future__ import annotations

import re

from scaffold.names import Names, Refusal

LINE_LENGTH = 100  # ruff.toml


class Unrecognised(Refusal):
    def __init__(self, path: str, what: str) -> None:
        super().__init__(f"{path} is not as apiserver scaffold knows it: {what} not found")


def _index(lines: list[str], pattern: str, path: str, what: str, start: int = 0) -> int:
    for number in range(start, len(lines)):
        if re.match(pattern, lines[number]):
            return number
    raise Unrecognised(path, what)


def _python_list(opening: str, items: list[str], closing: str) -> str:
    """``opening item, item closing`` on one line when it fits, else one item a line, as ruff
    formats it."""
    one_line = f"{opening}{', '.join(items)}{closing}"
    if len(one_line) <= LINE_LENGTH:
        return one_line + "\n"
    return opening + "\n" + "".join(f"    {item},\n" for item in items) + closing + "\n"


def contract_root(text: str, n: Names) -> str:
    """openapi/openapi.yaml: the tag, the two scopes, the two paths."""
    path = "openapi/openapi.yaml"
    lines = text.splitlines(keepends=True)
    read, write = n.scopes

    scopes = _index(lines, r"^\s+scopes: &scopes$", path, "the oauth2 scopes (scopes: &scopes)")
    indent = len(lines[scopes]) - len(lines[scopes].lstrip()) + 2
    last = scopes
    while last + 1 < len(lines) and lines[last + 1].startswith(" " * indent):
        last += 1
    lines[last + 1 : last + 1] = [
        f'{" " * indent}"{read}": Read {n.words}.\n',
        f'{" " * indent}"{write}": Create, change and delete {n.words}.\n',
    ]

    paths = _index(lines, r"^paths:$", path, "the paths section")
    api_paths = [
        number for number in range(paths + 1, len(lines)) if lines[number].startswith("  /api/v1/")
    ]
    if not api_paths:
        raise Unrecognised(path, "a path under /api/v1/")
    after = api_paths[-1] + 2  # the path's line and its $ref
    lines[after:after] = [
        f"  /api/v1/{n.plural}/:\n",
        f"    $ref: paths/{n.plural}.yaml#/{n.plural}\n",
        f"  /api/v1/{n.plural}/{{{n.id}}}:\n",
        f"    $ref: paths/{n.plural}.yaml#/{n.singular}\n",
    ]

    tags = _index(lines, r"^tags:$", path, "the tags section")
    end = tags + 1
    while end < len(lines) and lines[end].startswith("  "):
        end += 1
    lines[end:end] = [
        f"  - name: {n.plural}\n",
        f"    description: {n.Words}, each owned by the user who created it.\n",
    ]
    return "".join(lines)


def schemas(text: str, n: Names, block: str) -> str:
    """openapi/components/schemas.yaml: the scopes in the Scope enum, the new schemas at the
    end."""
    scope_enum = re.compile(r"^(Scope:\n  type: string\n  enum: \[)(.*)\]$", re.MULTILINE)
    if not scope_enum.search(text):
        raise Unrecognised("openapi/components/schemas.yaml", "the Scope enum")
    added = ", ".join(f'"{scope}"' for scope in n.scopes)
    text = scope_enum.sub(lambda match: f"{match[1]}{match[2]}, {added}]", text, count=1)
    return text.rstrip("\n") + "\n" + block


def appended(text: str, block: str) -> str:
    return text.rstrip("\n") + "\n" + block


def _module_of(import_line: str) -> str:
    return import_line.split()[1]


def _block(lines: list[str], start: int, closing: str) -> int:
    """The index of the line that ends the statement begun at ``start`` (itself, if one line)."""
    end = start
    while not lines[end].rstrip().endswith(closing):
        end += 1
    return end


def models_package(text: str, n: Names) -> str:
    """models/__init__.py: import the model (in isort's order) and export it."""
    path = "models/__init__.py"
    lines = text.splitlines(keepends=True)
    imports = [number for number, line in enumerate(lines) if line.startswith("from models.")]
    if not imports:
        raise Unrecognised(path, "the models' imports")
    exports = _index(lines, r"^__all__ = \[", path, "__all__")
    end = _block(lines, exports, "]")
    names = re.findall(r'"(\w+)"', "".join(lines[exports : end + 1]))
    exported = [f'"{name}"' for name in sorted([*names, n.Class])]
    lines[exports : end + 1] = [_python_list("__all__ = [", exported, "]")]
    new_import = f"from models.{n.singular} import {n.Class}\n"
    block = sorted([*(lines[number] for number in imports), new_import], key=_module_of)
    lines[imports[0] : imports[-1] + 1] = block
    return "".join(lines)


def representations(text: str, n: Names, schema_class: str) -> str:
    """storage/representations.py: the marshmallow schema, its SPEC_SCHEMAS entry, its name."""
    path = "storage/representations.py"
    lines = text.splitlines(keepends=True)
    table = _index(lines, r"^SPEC_SCHEMAS: dict\[str, Schema\] = \{$", path, "SPEC_SCHEMAS")
    closing = _index(lines, r"^\}$", path, "the end of SPEC_SCHEMAS", start=table)
    lines[closing:closing] = [f'    "{n.Class}": {n.Class}Schema(),\n']
    named = [
        number for number, line in enumerate(lines) if re.match(r"^\w+ = SPEC_SCHEMAS\[", line)
    ]
    if not named:
        raise Unrecognised(path, "the names of SPEC_SCHEMAS entries")
    lines.insert(named[-1] + 1, f'{n.singular} = SPEC_SCHEMAS["{n.Class}"]\n')
    lines[table:table] = [schema_class, "\n\n"]
    return "".join(lines)


def permissions(text: str, n: Names) -> str:
    """auth/permissions.py: the storage module's import and the owner rule."""
    path = "auth/permissions.py"
    lines = text.splitlines(keepends=True)
    imported = _index(lines, r"^from storage import ", path, "from storage import ...")
    end = _block(lines, imported, ")" if lines[imported].rstrip().endswith("(") else "")
    listed = "".join(lines[imported : end + 1]).split(" import ", 1)[1]
    modules = sorted([*re.findall(r"\w+", listed), n.plural])
    one_line = f"from storage import {', '.join(modules)}\n"
    fits = len(one_line) <= LINE_LENGTH + 1
    lines[imported : end + 1] = [
        one_line if fits else _python_list("from storage import (", modules, ")")
    ]
    rules = [number for number, line in enumerate(lines) if line.startswith("owner_rule(")]
    if not rules:
        raise Unrecognised(path, "an owner_rule(...) registration")
    arguments = [f'"{n.rule}"', f'"{n.word}"', f"{n.plural}.owner_of", f'"{n.id}"']
    lines.insert(_block(lines, rules[-1], ")") + 1, _python_list("owner_rule(", arguments, ")"))
    return "".join(lines)


def event_loop_operations(text: str, n: Names) -> str:
    """web/resolver.py: the item and list reads join EVENT_LOOP_OPERATIONS."""
    path = "web/resolver.py"
    lines = text.splitlines(keepends=True)
    start = _index(lines, r"^EVENT_LOOP_OPERATIONS = frozenset\($", path, "EVENT_LOOP_OPERATIONS")
    closing = _index(lines, r"^    \}$", path, "the end of EVENT_LOOP_OPERATIONS", start=start)
    reads = (f"list_{n.plural}", f"get_{n.singular}")
    lines[closing:closing] = [f'        "{operation}",\n' for operation in reads]
    return "".join(lines)


def readme(text: str, rows: str) -> str:
    """README.md: the rows of the resource table under "The resource API"."""
    lines = text.splitlines(keepends=True)
    heading = _index(lines, r"^## The resource API$", "README.md", 'the "The resource API" section')
    first = _index(lines, r"^\|", "README.md", "the resource table", start=heading)
    last = first
    while last + 1 < len(lines) and lines[last + 1].startswith("|"):
        last += 1
    lines[last + 1 : last + 1] = [rows]
    return "".join(lines)
