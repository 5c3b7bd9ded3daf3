"""Run one `hetao` command through CliRunner in a fresh interpreter; print the outcome as JSON.

usage: python tests/cli/fresh_interpreter.py ARG...   (standard input goes to the command)

Only hetao.cli is loaded beforehand, as when an operator runs `hetao`: a test process has every
model loaded already, which hides a command that loads only some (issue 14).
"""

from __future__ import annotations

import json
import sys
import traceback

from typer.testing import CliRunner

from hetao.cli import app


def main() -> None:
    result = CliRunner().invoke(app, sys.argv[1:], input=sys.stdin.read())
    error = result.exception
    # Typer ends every command, success or not, with SystemExit: anything else escaped it.
    escaped = error is not None and not isinstance(error, SystemExit)
    outcome = {
        "exit_code": result.exit_code,
        "output": result.output,
        "traceback": "".join(traceback.format_exception(error)) if escaped else None,
    }
    sys.stdout.write(json.dumps(outcome) + "\n")


if __name__ == "__main__":
    main()
