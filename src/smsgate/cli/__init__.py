"""The `smsgate` command line: serve, db upgrade, accounts, credit, prices, send, ..."""

from smsgate.cli.root import cli, main

__all__ = ["cli", "main"]
