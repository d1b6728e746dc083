"""Native REST API v1: contact lists, their contacts, CSV import (streamed) and export.

The import body is read as it comes (`request.stream()`), never held whole: `BodySizeLimit`
lets IMPORT_PATH through unbuffered, up to `SMSGATE_MAX_IMPORT_BYTES`.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import AsyncIterable, AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StrictStr
from starlette.responses import Response, StreamingResponse

from smsgate import errors
from smsgate.api.auth import bearer_account, gateway_of
from smsgate.api.errors import JsonResponse
from smsgate.api.native.schemas import iso
from smsgate.domain.accounts import Account
from smsgate.domain.contacts import (
    MAX_LIST_NAME,
    MAX_RECORD_CHARS,
    Contact,
    ContactInput,
    ContactList,
    ImportReport,
)
from smsgate.services.contacts import MAX_CONTACTS_PER_CALL, MAX_PAGE, AddOutcome

router = APIRouter(prefix="/api/v1/lists", tags=["lists"])
CurrentAccount = Annotated[Account, Depends(bearer_account)]

IMPORT_PATH = re.compile(r"^/api/v1/lists/[^/]+/import$")
CSV_TYPES = frozenset({"", "text/csv", "text/plain", "application/csv", "application/vnd.ms-excel"})
EXPORT_CHUNK_CHARS = 65_536


class ListIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[StrictStr, Field(min_length=1, max_length=MAX_LIST_NAME)]


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: Annotated[StrictStr, Field(max_length=64)]
    name: Annotated[StrictStr | None, Field(max_length=1024)] = None
    fields: dict[StrictStr, StrictStr] = Field(default_factory=dict)


class AddContactsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    contacts: Annotated[list[ContactIn], Field(min_length=1, max_length=MAX_CONTACTS_PER_CALL)]


def render_list(found: ContactList) -> dict[str, Any]:
    return {
        "id": found.id,
        "name": found.name,
        "size": found.size,
        "created_at": iso(found.created_at),
    }


def render_contact(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.id,
        "number": contact.number,
        "region": contact.region,
        "name": contact.name,
        "fields": dict(contact.fields),
        "gsm7": contact.gsm7,
        "opted_out": contact.opted_out,
        "created_at": iso(contact.created_at),
    }


def render_counts(report: ImportReport) -> dict[str, int]:
    return {
        "rows": report.rows,
        "imported": report.imported,
        "updated": report.updated,
        "added": report.added,
        "invalid": report.invalid,
        "duplicate": report.duplicate,
    }


def render_report(report: ImportReport) -> dict[str, Any]:
    return {
        "counts": render_counts(report),
        "problems": [
            {"row": p.row, "value": p.value, "reason": str(p.reason)} for p in report.problems
        ],
        "problems_left_out": report.problems_left_out,
    }


def render_added(outcome: AddOutcome) -> dict[str, Any]:
    return {
        "counts": render_counts(outcome.report),
        "contacts": [
            {
                "input": v.input,
                "number": v.number,
                "verdict": str(v.verdict),
                "reason": None if v.reason is None else str(v.reason),
            }
            for v in outcome.verdicts
        ],
    }


async def text_lines(chunks: AsyncIterable[bytes]) -> AsyncIterator[str]:
    """UTF-8 bytes (a BOM is dropped) as lines, each with its line break but the last."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    pending = ""
    final = False
    iterator = aiter(chunks)
    while not final:
        chunk = await anext(iterator, None)
        final = chunk is None
        try:
            pending += decoder.decode(chunk or b"", final=final)
        except UnicodeDecodeError as exc:
            raise errors.InvalidRequest("the file is not UTF-8 text") from exc
        *lines, pending = pending.split("\n")
        for line in lines:
            yield line + "\n"
        if len(pending) > MAX_RECORD_CHARS:
            raise errors.InvalidRequest(f"a line is longer than {MAX_RECORD_CHARS} characters")
    if pending:
        yield pending


async def joined(lines: AsyncIterator[str]) -> AsyncIterator[bytes]:
    """Lines sent a few kilobytes at a time rather than one by one."""
    batch: list[str] = []
    size = 0
    async for line in lines:
        batch.append(line)
        size += len(line)
        if size >= EXPORT_CHUNK_CHARS:
            yield "".join(batch).encode()
            batch, size = [], 0
    if batch:
        yield "".join(batch).encode()


@router.post("", status_code=201, response_class=JsonResponse)
async def create_list(body: ListIn, request: Request, account: CurrentAccount) -> JsonResponse:
    created = await gateway_of(request).contacts.create_list(account, body.name)
    return JsonResponse(render_list(created), status_code=201)


@router.get("", response_class=JsonResponse)
async def list_lists(request: Request, account: CurrentAccount) -> JsonResponse:
    found = await gateway_of(request).contacts.lists(account)
    return JsonResponse({"data": [render_list(item) for item in found]})


@router.get("/{list_id}", response_class=JsonResponse)
async def get_list(list_id: int, request: Request, account: CurrentAccount) -> JsonResponse:
    return JsonResponse(render_list(await gateway_of(request).contacts.get_list(account, list_id)))


@router.delete("/{list_id}", status_code=204)
async def delete_list(list_id: int, request: Request, account: CurrentAccount) -> Response:
    """Delete the list; its contacts stay in the account's other lists."""
    await gateway_of(request).contacts.delete_list(account, list_id)
    return Response(status_code=204)


@router.post("/{list_id}/contacts", response_class=JsonResponse)
async def add_contacts(
    list_id: int, body: AddContactsIn, request: Request, account: CurrentAccount
) -> JsonResponse:
    """Add 1..1000 contacts; answers each one's verdict (created, added, duplicate, invalid)."""
    entries = [ContactInput(c.number, c.name, c.fields) for c in body.contacts]
    outcome = await gateway_of(request).contacts.add_contacts(account, list_id, entries)
    return JsonResponse(render_added(outcome))


@router.get("/{list_id}/contacts", response_class=JsonResponse)
async def list_contacts(
    list_id: int,
    request: Request,
    account: CurrentAccount,
    search: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    after: Annotated[int | None, Query(description="cursor: next_after of the last page")] = None,
) -> JsonResponse:
    """The list's contacts by id; `search`: a number (or its start) or part of a name."""
    page = await gateway_of(request).contacts.search(
        account, list_id, search, after=after, limit=limit
    )
    return JsonResponse(
        {"data": [render_contact(c) for c in page.contacts], "next_after": page.next_after}
    )


@router.delete("/{list_id}/contacts/{number}", status_code=204)
async def remove_contact(
    list_id: int, number: str, request: Request, account: CurrentAccount
) -> Response:
    if not await gateway_of(request).contacts.remove_contacts(account, list_id, [number]):
        raise errors.NotFound(f"{number} is not in list {list_id}")
    return Response(status_code=204)


@router.post("/{list_id}/import", response_class=JsonResponse)
async def import_contacts(list_id: int, request: Request, account: CurrentAccount) -> JsonResponse:
    """A CSV file as the body (text/csv, UTF-8): a header with a `number` column, then rows."""
    kind, _, parameters = request.headers.get("content-type", "").partition(";")
    charset = re.search(r"charset\s*=\s*\"?([\w-]+)", parameters, re.IGNORECASE)
    if kind.strip().lower() not in CSV_TYPES or (
        charset is not None and charset.group(1).lower() not in ("utf-8", "utf8")
    ):
        raise HTTPException(415, "send the file as text/csv in UTF-8")
    report = await gateway_of(request).contacts.import_csv(
        account, list_id, text_lines(request.stream())
    )
    return JsonResponse(render_report(report))


@router.get("/{list_id}/export")
async def export_contacts(list_id: int, request: Request, account: CurrentAccount) -> Response:
    """The list as CSV: number,name,<fields...>,opted_out."""
    lines = await gateway_of(request).contacts.export_csv(account, list_id)
    return StreamingResponse(
        joined(lines),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="list-{list_id}.csv"'},
    )
