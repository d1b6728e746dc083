"""Running the CLI in-process, as the tests do."""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner, Result

from smsgate.cli import cli


def invoke(*args: str, expect: int = 0, stdin: str | None = None) -> Result:
    result = CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)
    assert result.exit_code == expect, result.output
    return result


def invoke_json(*args: str, stdin: str | None = None) -> Any:
    return json.loads(invoke(*args, "--json", stdin=stdin).stdout)
