"""Client SDKs generated from the bundled contract: ``apiserver sdk python|typescript OUTDIR``.

Generators get a copy of the bundle in which every request body offers one content type (JSON
where the operation takes it): openapi-python-client 0.29 writes modules that do not import when
a body offers two (``NameError: name 'Unset' is not defined``), and one typed body per
operation is what a client wants anyway.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import openapi

# The content type an SDK sends, by preference; the others stay available to hand-written calls.
PREFERRED_CONTENT_TYPES = (
    "application/json",
    "application/json-patch+json",
    "application/x-www-form-urlencoded",
)
PYTHON_PACKAGE = "apiserver_client"
# The openapi-generator-cli wrapper runs its bundled jar with the machine's Java.
OPENAPI_GENERATOR = (
    "import sys, openapi_generator_cli; "
    "sys.exit(openapi_generator_cli.run(sys.argv[1:]).returncode)"
)


class SdkError(RuntimeError):
    """The generator failed; its output says why."""


def sdk_bundle() -> dict:
    document = copy.deepcopy(openapi.bundle())
    for method, path, _ in openapi.operations().values():
        body = document["paths"][path][method.lower()].get("requestBody")
        if body is None:
            continue
        content = body["content"]
        keep = next(
            (kind for kind in PREFERRED_CONTENT_TYPES if kind in content), next(iter(content))
        )
        body["content"] = {keep: content[keep]}
    return document


def _run(command: list[str], what: str) -> None:
    # Generators call formatters (ruff) found on PATH: look beside this interpreter first.
    # Not a setting, so not via config.py: the child inherits this environment, PATH extended.
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        raise SdkError(f"{what} failed:\n{result.stdout}\n{result.stderr}")


def _with_spec_file(generate) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        spec = Path(scratch) / "openapi.json"
        spec.write_text(json.dumps(sdk_bundle()))
        generate(spec)


def generate_python(output: Path) -> Path:
    """A Python package ``apiserver_client`` (with setup.py) in ``output``; returns ``output``."""
    _with_spec_file(
        lambda spec: _run(
            [
                sys.executable, "-m", "openapi_python_client", "generate",
                "--path", str(spec), "--output-path", str(output),
                "--meta", "setup", "--overwrite",
            ],
            "openapi-python-client",
        )
    )  # fmt: skip
    return output


def generate_typescript(output: Path) -> Path:
    """A typescript-fetch client (no runtime dependencies) in ``output``; returns ``output``."""
    _with_spec_file(
        lambda spec: _run(
            [
                sys.executable, "-c", OPENAPI_GENERATOR, "generate",
                "-i", str(spec), "-g", "typescript-fetch", "-o", str(output),
                "--additional-properties=supportsES6=true,npmName=apiserver-client",
            ],
            "openapi-generator (typescript-fetch)",
        )
    )  # fmt: skip
    return output
