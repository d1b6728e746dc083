"""`smsgate accounts keys ...`: API keys, shown once when issued, stored only as hashes."""

from __future__ import annotations

from typing import Any

import click

from smsgate.cli import output as out
from smsgate.cli.runtime import CliContext
from smsgate.ports import ApiKeyRecord
from smsgate.services.accounts import IssuedKey

KEY_PREFIX = "sgk_"


def key_json(record: ApiKeyRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "prefix": record.prefix,
        "label": record.label,
        "created_at": out.iso(record.created_at),
        "revoked_at": out.iso(record.revoked_at),
        "active": record.revoked_at is None,
    }


def issued_key_json(issued: IssuedKey, label: str | None) -> dict[str, Any]:
    return {"id": issued.id, "prefix": issued.prefix, "label": label, "api_key": issued.key}


@click.group()
def keys() -> None:
    """Issue, list and revoke API keys."""


@keys.command(name="create")
@click.argument("username")
@click.option("--label", help="What the key is for, e.g. the client's name.")
@out.json_option
@click.pass_obj
def create_key(obj: CliContext, username: str, label: str | None, as_json: bool) -> None:
    """Issue a new API key (shown once)."""
    issued = obj.run(lambda gw: gw.accounts.create_key(username, label=label))
    if as_json:
        out.echo_json(issued_key_json(issued, label))
        return
    click.echo(f"new API key {issued.prefix} (id {issued.id}) for {username}:")
    click.echo(f"  {out.secret(issued.key)}")
    click.echo("It is shown only now; keep it somewhere safe.")


@keys.command(name="list")
@click.argument("username")
@out.json_option
@click.pass_obj
def list_keys(obj: CliContext, username: str, as_json: bool) -> None:
    """List an account's API keys (their prefixes, never the secrets)."""
    found = obj.run(lambda gw: gw.accounts.keys(username))
    if as_json:
        out.echo_json([key_json(k) for k in found])
        return
    rows = [
        [
            str(k.id),
            k.prefix,
            "active" if k.revoked_at is None else "revoked",
            out.shown(k.label),
            out.shown_time(k.created_at),
            out.shown_time(k.revoked_at),
        ]
        for k in found
    ]
    out.echo_table(
        ["ID", "PREFIX", "STATUS", "LABEL", "CREATED", "REVOKED"],
        rows,
        right=(0,),
        colour=lambda column, text: out.status_colour(text) if column == 2 else text,
    )


@keys.command(name="revoke")
@click.argument("username")
@click.argument("key", metavar="KEY_ID_OR_PREFIX")
@out.json_option
@click.pass_obj
def revoke_key(obj: CliContext, username: str, key: str, as_json: bool) -> None:
    """Revoke a key, named by its id, its prefix or the whole key."""
    if key.startswith(KEY_PREFIX):
        key = key.removeprefix(KEY_PREFIX).split("_", 1)[0]
    obj.run(lambda gw: gw.accounts.revoke_key(username, key))
    if as_json:
        out.echo_json({"username": username, "revoked": key})
    else:
        click.echo(f"key {key} of {username} revoked")
