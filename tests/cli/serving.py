"""`smsgate serve` in a subprocess, for the tests that need the real command and its port."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SERVE_TIMEOUT_S = 30.0


@contextmanager
def serving(tmp_path: Path, workers: int = 1) -> Iterator[tuple[subprocess.Popen[bytes], str, str]]:
    """`serve --demo --json` on a free port: the process, its base URL and the demo API key.
    Its log is tmp_path / "serve.log"; the process is killed on the way out if still running."""
    command = [sys.executable, "-m", "smsgate.cli", "serve", "--demo", "--json"]
    command += ["--host", "127.0.0.1", "--port", "0", "--workers", str(workers)]
    log = tmp_path / "serve.log"
    with (
        log.open("wb") as stderr,
        subprocess.Popen(  # noqa: S603
            command, stdout=subprocess.PIPE, stderr=stderr, env=dict(os.environ)
        ) as server,
    ):
        try:
            assert server.stdout is not None
            ready, _, _ = select.select([server.stdout], [], [], SERVE_TIMEOUT_S)
            banner = json.loads(server.stdout.readline() if ready else b"null")
            assert banner is not None, log.read_text()
            yield server, banner["base_url"], banner["demo"]["api_key"]
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()
