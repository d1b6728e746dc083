"""Contact lists and contacts: lists, adding and importing contacts, search, export.

An import streams: rows are read and written a chunk at a time, each chunk in its own write
transaction, and duplicates are found by the database (a list's key is (list, contact)), so
memory stays flat whatever the file's size. A file that fails half-way (a row with an open
quote, a body cut off) keeps the chunks written before.
"""

from __future__ import annotations

import builtins
import csv
import io
import logging
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass

from smsgate import errors
from smsgate.domain.accounts import Account
from smsgate.domain.contacts import (
    Contact,
    ContactInput,
    ContactList,
    CsvLayout,
    CsvRecordCutter,
    ImportReport,
    ImportTally,
    MemberFilter,
    NewContact,
    ProblemSink,
    ReadRow,
    Reason,
    Verdict,
    check_list_name,
    choose_delimiter,
    merge_contact,
    read_contact,
    read_header,
    read_rows,
    search_filter,
)
from smsgate.domain.phones import parse_phone
from smsgate.ports import Clock, Store

log = logging.getLogger(__name__)

CHUNK_ROWS = 2000  # rows per transaction in an import
MAX_PROBLEMS = 1000  # problem rows an import report keeps (a sink may get them all)
MAX_CONTACTS_PER_CALL = 1000
MAX_PAGE = 1000
EXPORT_PAGE = 2000
REFRESH_STATISTICS_ROWS = 10_000  # an import writing this many rows refreshes them

Lines = AsyncIterable[str] | Iterable[str]
Progress = Callable[[ImportReport], None]


@dataclass(frozen=True, slots=True)
class ContactVerdict:
    input: str  # the number as given
    number: str | None  # E.164, when valid
    verdict: Verdict
    reason: Reason | None = None


@dataclass(frozen=True, slots=True)
class AddOutcome:
    report: ImportReport
    verdicts: tuple[ContactVerdict, ...]


@dataclass(frozen=True, slots=True)
class ContactPage:
    contacts: builtins.list[Contact]
    next_after: int | None  # the cursor of the next page, None on the last


async def _each_line(lines: Lines) -> AsyncIterator[str]:
    if isinstance(lines, AsyncIterable):
        async for line in lines:
            yield line
    else:
        for line in lines:
            yield line


def _unchanged(known: Contact, merged: NewContact) -> bool:
    return (known.name, dict(known.fields), known.gsm7) == (
        merged.name,
        dict(merged.fields),
        merged.gsm7,
    )


class ContactService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        chunk_rows: int = CHUNK_ROWS,
        max_problems: int = MAX_PROBLEMS,
    ) -> None:
        self._store = store
        self._clock = clock
        self._chunk_rows = chunk_rows
        self._max_problems = max_problems

    # --- lists --------------------------------------------------------------------------

    async def create_list(self, account: Account, name: str) -> ContactList:
        """A new empty list; Conflict if the account has one of that name already."""
        cleaned = check_list_name(name)
        async with self._store.transaction(write=True) as tx:
            if await tx.contacts.list_named(account.id, cleaned) is not None:
                raise errors.Conflict(f"a list named {cleaned!r} exists already", name=cleaned)
            created = await tx.contacts.add_list(account.id, cleaned, self._clock.now())
        log.info("list %s created", created.id, extra={"event": "contact_list_created"})
        return created

    async def lists(self, account: Account) -> builtins.list[ContactList]:
        async with self._store.transaction() as tx:
            return await tx.contacts.lists(account.id)

    async def get_list(self, account: Account, list_id: int) -> ContactList:
        async with self._store.transaction() as tx:
            found = await tx.contacts.get_list(account.id, list_id)
        if found is None:
            raise errors.NotFound(f"no list {list_id}")
        return found

    async def list_named(self, account: Account, name: str) -> ContactList:
        async with self._store.transaction() as tx:
            found = await tx.contacts.list_named(account.id, name.strip())
        if found is None:
            raise errors.NotFound(f"no list named {name.strip()!r}")
        return found

    async def ensure_list(self, account: Account, name: str) -> tuple[ContactList, bool]:
        """The list of that name, created if the account has none; and whether it was."""
        cleaned = check_list_name(name)
        async with self._store.transaction(write=True) as tx:
            found = await tx.contacts.list_named(account.id, cleaned)
            if found is not None:
                return found, False
            created = await tx.contacts.add_list(account.id, cleaned, self._clock.now())
        log.info("list %s created", created.id, extra={"event": "contact_list_created"})
        return created, True

    async def delete_list(self, account: Account, list_id: int) -> None:
        """Delete the list; its contacts stay (in their other lists, or in none)."""
        async with self._store.transaction(write=True) as tx:
            if not await tx.contacts.delete_list(account.id, list_id):
                raise errors.NotFound(f"no list {list_id}")
        log.info("list %s deleted", list_id, extra={"event": "contact_list_deleted"})

    # --- contacts -----------------------------------------------------------------------

    async def add_contacts(
        self, account: Account, list_id: int, entries: Sequence[ContactInput]
    ) -> AddOutcome:
        """Add up to MAX_CONTACTS_PER_CALL contacts to a list, each with its verdict."""
        if not entries:
            raise errors.InvalidRequest("give at least one contact", field="contacts")
        if len(entries) > MAX_CONTACTS_PER_CALL:
            raise errors.InvalidRequest(
                f"at most {MAX_CONTACTS_PER_CALL} contacts per call; import a CSV file for more",
                field="contacts",
            )
        rows = [
            ReadRow(i + 1, entry.number, read_contact(entry, account.default_country))
            for i, entry in enumerate(entries)
        ]
        verdicts = await self._write(account, list_id, rows)
        tally = ImportTally(len(rows), None)
        tally.count(rows, verdicts)
        return AddOutcome(
            tally.report(),
            tuple(
                ContactVerdict(
                    entry.number,
                    row.contact.number if isinstance(row.contact, NewContact) else None,
                    verdict,
                    row.contact if isinstance(row.contact, Reason) else None,
                )
                for entry, row, verdict in zip(entries, rows, verdicts, strict=True)
            ),
        )

    async def remove_contacts(self, account: Account, list_id: int, numbers: Sequence[str]) -> int:
        """Take numbers out of a list (the contacts stay); how many were in it."""
        e164 = []
        for raw in numbers:
            phone = parse_phone(raw, account.default_country)
            if phone is None:
                raise errors.InvalidRequest(f"not a valid phone number: {raw!r}", field="number")
            e164.append(phone.e164)
        async with self._store.transaction(write=True) as tx:
            if not await tx.contacts.has_list(account.id, list_id, lock=True):
                raise errors.NotFound(f"no list {list_id}")
            return await tx.contacts.remove_members(account.id, list_id, sorted(set(e164)))

    async def search(
        self,
        account: Account,
        list_id: int,
        term: str | None = None,
        *,
        after: int | None = None,
        limit: int = 100,
    ) -> ContactPage:
        """A page of the list's contacts by id; `term` is a number (or its start) in any
        format, or part of a name. Follow `next_after` for the next page."""
        if not 1 <= limit <= MAX_PAGE:
            raise errors.InvalidRequest(f"limit must be between 1 and {MAX_PAGE}", field="limit")
        query = search_filter(term, account.default_country, after_id=after, limit=limit)
        async with self._store.transaction() as tx:
            if not await tx.contacts.has_list(account.id, list_id):
                raise errors.NotFound(f"no list {list_id}")
            found = await tx.contacts.members(account.id, list_id, query)
        return ContactPage(found, found[-1].id if len(found) == limit else None)

    # --- import and export --------------------------------------------------------------

    async def import_csv(
        self,
        account: Account,
        list_id: int,
        lines: Lines,
        *,
        progress: Progress | None = None,
        problems: ProblemSink | None = None,
    ) -> ImportReport:
        """Import CSV lines (a header, then one contact per row) into a list, streaming.

        `progress` gets the report after each chunk; `problems` every problem row (the
        report keeps the first MAX_PROBLEMS).
        """
        async with self._store.transaction() as tx:
            if not await tx.contacts.has_list(account.id, list_id):
                raise errors.NotFound(f"no list {list_id}")
        tally = ImportTally(self._max_problems, problems)
        cutter: CsvRecordCutter | None = None
        layout: CsvLayout | None = None
        pending: list[str] = []
        records = 0
        row = 1  # the header's, once read; blank lines before it count as rows

        async def flush(layout: CsvLayout, delimiter: str) -> None:
            nonlocal pending, records, row
            read, row = read_rows(layout, delimiter, pending, row, account.default_country)
            pending, records = [], 0
            tally.count(read, await self._write(account, list_id, read))
            if progress is not None:
                progress(tally.report())

        async for line in _each_line(lines):
            if cutter is None:
                if not line.strip():
                    row += 1
                    continue
                cutter = CsvRecordCutter(choose_delimiter(line))
            pending.append(line)
            if not cutter.ends_record(line):
                continue
            if layout is None:
                try:
                    header = next(csv.reader(pending, delimiter=cutter.delimiter))
                except csv.Error as exc:
                    raise errors.InvalidRequest(f"the header row is not valid CSV: {exc}") from exc
                layout = read_header(header)
                pending, row = [], row + 1
                continue
            records += 1
            if records >= self._chunk_rows:
                await flush(layout, cutter.delimiter)
        if layout is None or cutter is None:
            raise errors.InvalidRequest("the file is empty: expected a header row first")
        if pending:
            await flush(layout, cutter.delimiter)
        report = tally.report()
        if report.imported + report.added >= REFRESH_STATISTICS_ROWS:
            async with self._store.transaction() as tx:
                await tx.contacts.refresh_statistics()
        log.info(
            "import into list %s: %s rows, %s added, %s invalid, %s duplicate",
            list_id,
            report.rows,
            report.added,
            report.invalid,
            report.duplicate,
            extra={"event": "contacts_imported"},
        )
        return report

    async def export_csv(self, account: Account, list_id: int) -> AsyncIterator[str]:
        """The list as CSV lines: number,name,<fields...>,opted_out, read a page at a time.

        The list is checked now (NotFound), before the first line is asked for.
        """
        async with self._store.transaction() as tx:
            if not await tx.contacts.has_list(account.id, list_id):
                raise errors.NotFound(f"no list {list_id}")
            names = await tx.contacts.field_names(account.id, list_id)
        return self._export_lines(account.id, list_id, names)

    async def _export_lines(
        self, account_id: int, list_id: int, names: Sequence[str]
    ) -> AsyncIterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")

        def line(cells: Sequence[str]) -> str:
            buffer.seek(0)
            buffer.truncate()
            writer.writerow(cells)
            return buffer.getvalue()

        yield line(["number", "name", *names, "opted_out"])
        after: int | None = None
        while True:
            async with self._store.transaction() as tx:
                page = await tx.contacts.members(
                    account_id, list_id, MemberFilter(after_id=after, limit=EXPORT_PAGE)
                )
            for contact in page:
                values = [contact.fields.get(name, "") for name in names]
                opted_out = "true" if contact.opted_out else "false"
                yield line([contact.number, contact.name or "", *values, opted_out])
            if len(page) < EXPORT_PAGE:
                return
            after = page[-1].id

    async def _write(
        self, account: Account, list_id: int, rows: Sequence[ReadRow]
    ) -> builtins.list[Verdict]:
        """Write a chunk's valid rows in one transaction: one upsert of the new and changed
        contacts, one insert of memberships. A number seen again is a duplicate."""
        verdicts = [Verdict.INVALID] * len(rows)
        groups: dict[str, list[int]] = {}
        for i, row in enumerate(rows):
            if isinstance(row.contact, NewContact):
                groups.setdefault(row.contact.number, []).append(i)
        async with self._store.transaction(write=True) as tx:
            if not await tx.contacts.has_list(account.id, list_id, lock=True):
                raise errors.NotFound(f"no list {list_id}")
            if not groups:
                return verdicts
            known = await tx.contacts.find(account.id, sorted(groups))
            ids: dict[str, int] = {}
            changed: list[NewContact] = []
            for number, indexes in groups.items():
                before = known.get(number)
                merged: NewContact | Contact | None = before
                for i in indexes:
                    contact = rows[i].contact
                    assert isinstance(contact, NewContact)
                    merged = merge_contact(merged, contact)
                assert isinstance(merged, NewContact)
                if before is not None and _unchanged(before, merged):
                    ids[number] = before.id
                else:
                    changed.append(merged)
            changed.sort(key=lambda contact: contact.number)  # one lock order for every writer
            ids.update(await tx.contacts.upsert(account.id, changed, self._clock.now()))
            added = await tx.contacts.add_members(list_id, sorted(ids.values()))
        for number, indexes in groups.items():
            first = indexes[0]
            if ids[number] not in added:
                verdicts[first] = Verdict.DUPLICATE
            else:
                verdicts[first] = Verdict.ADDED if number in known else Verdict.CREATED
            for i in indexes[1:]:
                verdicts[i] = Verdict.DUPLICATE
        return verdicts
