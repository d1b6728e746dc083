"""SMPP peers we did not write, run as subprocesses for tests: the npm `smpp` package as an
SMSC (peers/npm-smsc, installed by `make peers`).

    async with npm_smsc(receipts=True) as (port, inject_mo):
        client = await connect("127.0.0.1", port, "esme", "secret")
        status = await inject_mo("+447700900123", "12345", "hello")
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

NPM_SMSC_DIR = Path(__file__).resolve().parent.parent / "peers" / "npm-smsc"
START_TIMEOUT_S = 15.0
ANSWER_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0

# (from, to, text) -> the command_status the ESME answered the deliver_sm with.
InjectMo = Callable[[str, str, str], Awaitable[int]]


class PeerError(RuntimeError):
    """The peer could not start or did not do what it was told."""


def node_or_skip() -> str:
    """The node binary; the test is skipped on a machine without node."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    if not (NPM_SMSC_DIR / "node_modules" / "smpp").is_dir():
        raise PeerError(f"{NPM_SMSC_DIR}/node_modules is missing: run `make peers`")
    return node


@asynccontextmanager
async def npm_smsc(
    receipts: bool, receipt_delay_ms: int = 0
) -> AsyncIterator[tuple[int, InjectMo]]:
    """Start peers/npm-smsc/smsc.js on a free port; yield (port, inject_mo); stop it after."""
    arguments = ["--port", "0"]
    if receipts:
        arguments += ["--receipts", "--receipt-delay-ms", str(receipt_delay_ms)]
    process = await asyncio.create_subprocess_exec(
        node_or_skip(),
        str(NPM_SMSC_DIR / "smsc.js"),
        *arguments,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    stdin, stdout = process.stdin, process.stdout
    lock = asyncio.Lock()  # one MO at a time: answers come back in order

    async def inject_mo(source: str, destination: str, text: str) -> int:
        async with lock:
            line = json.dumps({"mo": {"from": source, "to": destination, "text": text}})
            stdin.write(line.encode() + b"\n")
            async with asyncio.timeout(ANSWER_TIMEOUT_S):
                await stdin.drain()
                answer = (await stdout.readline()).decode().strip()
        word, _, rest = answer.partition(" ")
        if word != "mo_resp":
            raise PeerError(f"npm-smsc did not send the MO: {answer or 'it exited'}")
        return int(rest)

    try:
        async with asyncio.timeout(START_TIMEOUT_S):
            ready = (await stdout.readline()).decode().split()
        if len(ready) != 2 or ready[0] != "listening":
            raise PeerError(f"npm-smsc did not start: {' '.join(ready) or 'it exited'}")
        yield int(ready[1]), inject_mo
    finally:
        if process.returncode is None:
            stdin.close()  # smsc.js exits when its stdin closes
            try:
                async with asyncio.timeout(STOP_TIMEOUT_S):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()
