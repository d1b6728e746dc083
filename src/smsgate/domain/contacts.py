"""Contact lists and contacts: reading a CSV row or a JSON entry into a contact, the import report.

Invariants: a contact is one per (account, E.164 number), whatever the lists it is in; its
`fields` hold non-empty strings under names usable as `{field}` placeholders; `gsm7` says
whether its name and every field value fit the GSM 03.38 alphabet (extension table included),
so that a personalised text stays GSM-7 when the template does. An empty cell or a missing
field leaves the stored value as it was: importing adds and updates, it never erases.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from smsgate import errors
from smsgate.domain.phones import parse_phone
from smsgate.domain.text import is_gsm7

NUMBER_COLUMNS = ("number", "phone", "mobile", "msisdn")  # case-insensitive
NAME_COLUMN = "name"
IGNORED_COLUMNS = frozenset({"opted_out"})  # written by the export, read-only
DELIMITERS = (",", ";", "\t")  # the header's most frequent one is the file's
MAX_LIST_NAME = 64
MAX_NAME_LENGTH = 128
MAX_FIELDS = 32
MAX_FIELD_VALUE = 256
MAX_RECORD_CHARS = 65_536  # one CSV record, quoted line breaks included
FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")  # as domain/campaigns placeholders
RESERVED_FIELDS = frozenset({*NUMBER_COLUMNS, NAME_COLUMN, *IGNORED_COLUMNS})


class Reason(StrEnum):
    """Why a row was not added to the list."""

    MISSING_NUMBER = "missing_number"
    INVALID_NUMBER = "invalid_number"
    TOO_MANY_COLUMNS = "too_many_columns"
    MALFORMED_ROW = "malformed_row"
    NAME_TOO_LONG = "name_too_long"
    VALUE_TOO_LONG = "value_too_long"
    TOO_MANY_FIELDS = "too_many_fields"
    INVALID_FIELD_NAME = "invalid_field_name"
    DUPLICATE = "duplicate"  # already in the list: from the same file, or from before


class Verdict(StrEnum):
    CREATED = "created"  # a new contact, added to the list
    ADDED = "added"  # a known contact (details updated), added to the list
    DUPLICATE = "duplicate"  # already in the list (details updated)
    INVALID = "invalid"  # refused: see the reason


@dataclass(frozen=True, slots=True)
class ContactList:
    id: int
    account_id: int
    name: str
    created_at: datetime
    size: int = 0  # members, when read


@dataclass(frozen=True, slots=True)
class Contact:
    id: int
    number: str  # E.164
    region: str
    name: str | None
    fields: Mapping[str, str]
    gsm7: bool
    created_at: datetime
    opted_out: bool = False  # on the account's or the global blacklist, when read


@dataclass(frozen=True, slots=True)
class ContactInput:
    """A contact as given (a CSV row or a JSON entry), not yet checked."""

    number: str
    name: str | None = None
    fields: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class NewContact:
    """A checked contact, ready to write."""

    number: str  # E.164
    region: str
    name: str | None
    fields: Mapping[str, str]
    gsm7: bool


@dataclass(frozen=True, slots=True)
class MemberFilter:
    """A page of a list's contacts; with both searches, a contact matching either is kept."""

    number_prefix: str | None = None  # E.164 prefix, "+3361"
    name_part: str | None = None  # case-insensitive substring of the name
    after_id: int | None = None  # cursor: contacts with a greater id
    limit: int = 100


@dataclass(frozen=True, slots=True)
class RowProblem:
    row: int  # as a spreadsheet numbers it: the header is row 1
    value: str  # the number as written
    reason: Reason


ProblemSink = Callable[[RowProblem], None]


@dataclass(frozen=True, slots=True)
class ImportReport:
    rows: int = 0  # data rows read (blank lines not counted)
    imported: int = 0  # new contacts
    updated: int = 0  # rows of contacts known already (their details updated)
    added: int = 0  # contacts added to the list
    invalid: int = 0
    duplicate: int = 0  # rows whose number was in the list already
    problems: tuple[RowProblem, ...] = ()  # the first ones only

    @property
    def problems_left_out(self) -> int:
        return self.invalid + self.duplicate - len(self.problems)


@dataclass(frozen=True, slots=True)
class ReadRow:
    row: int  # as a spreadsheet numbers it
    value: str  # the number as written
    contact: NewContact | Reason


class ImportTally:
    """An import's counts so far and its first problems; `sink` gets every problem."""

    def __init__(self, max_problems: int, sink: ProblemSink | None) -> None:
        self.rows = self.imported = self.updated = self.added = 0
        self.invalid = self.duplicate = 0
        self.problems: list[RowProblem] = []
        self._max_problems = max_problems
        self._sink = sink

    def count(self, rows: Sequence[ReadRow], verdicts: Sequence[Verdict]) -> None:
        self.rows += len(rows)
        for row, verdict in zip(rows, verdicts, strict=True):
            if isinstance(row.contact, Reason):
                self.invalid += 1
                self._problem(RowProblem(row.row, row.value, row.contact))
                continue
            if verdict is Verdict.CREATED:
                self.imported += 1
            else:
                self.updated += 1
            if verdict is Verdict.DUPLICATE:
                self.duplicate += 1
                self._problem(RowProblem(row.row, row.value, Reason.DUPLICATE))
            else:
                self.added += 1

    def _problem(self, problem: RowProblem) -> None:
        if len(self.problems) < self._max_problems:
            self.problems.append(problem)
        if self._sink is not None:
            self._sink(problem)

    def report(self) -> ImportReport:
        return ImportReport(
            rows=self.rows,
            imported=self.imported,
            updated=self.updated,
            added=self.added,
            invalid=self.invalid,
            duplicate=self.duplicate,
            problems=tuple(self.problems),
        )


def check_list_name(name: str) -> str:
    """The list name without surrounding spaces; InvalidRequest if empty or too long."""
    cleaned = name.strip()
    if not 1 <= len(cleaned) <= MAX_LIST_NAME:
        raise errors.InvalidRequest(
            f"a list name has 1 to {MAX_LIST_NAME} characters", field="name"
        )
    return cleaned


def read_contact(entry: ContactInput, default_country: str | None) -> NewContact | Reason:
    """The contact `entry` stands for, or why it is refused."""
    raw = entry.number.strip()
    if not raw:
        return Reason.MISSING_NUMBER
    phone = parse_phone(raw, default_country)
    if phone is None:
        return Reason.INVALID_NUMBER
    name = (entry.name or "").strip() or None
    if name is not None and len(name) > MAX_NAME_LENGTH:
        return Reason.NAME_TOO_LONG
    if len(entry.fields) > MAX_FIELDS:
        return Reason.TOO_MANY_FIELDS
    fields: dict[str, str] = {}
    for key, value in entry.fields.items():
        if key in RESERVED_FIELDS or not FIELD_NAME.fullmatch(key):
            return Reason.INVALID_FIELD_NAME
        cleaned = value.strip()
        if len(cleaned) > MAX_FIELD_VALUE:
            return Reason.VALUE_TOO_LONG
        if cleaned:
            fields[key] = cleaned
    return NewContact(phone.e164, phone.region, name, fields, _fits_gsm7(name, fields))


def merge_contact(known: NewContact | Contact | None, row: NewContact) -> NewContact:
    """`row` written over `known`: its name and fields win, what it leaves empty is kept."""
    if known is None:
        return row
    if not row.fields and row.name is None:
        return NewContact(known.number, known.region, known.name, known.fields, known.gsm7)
    name = row.name if row.name is not None else known.name
    fields = {**known.fields, **row.fields}
    return NewContact(row.number, row.region, name, fields, _fits_gsm7(name, fields))


def _fits_gsm7(name: str | None, fields: Mapping[str, str]) -> bool:
    return is_gsm7((name or "") + "".join(fields.values()))


# --- CSV files ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CsvLayout:
    """Which column holds what, read from the header row."""

    number_column: int
    name_column: int | None
    fields: tuple[tuple[int, str], ...]  # (column, field name)
    width: int  # columns in the header


def choose_delimiter(header_line: str) -> str:
    """The header's most frequent delimiter among , ; and tab (a comma when none is)."""
    return max(DELIMITERS, key=header_line.count)


def read_header(header: Sequence[str]) -> CsvLayout:
    """The layout a header row gives; InvalidRequest when it cannot be imported."""
    names = [cell.strip().lstrip("\ufeff") for cell in header]
    numbers = [i for i, name in enumerate(names) if name.lower() in NUMBER_COLUMNS]
    if not numbers:
        raise errors.InvalidRequest(
            "the header has no number column: name one " + ", ".join(NUMBER_COLUMNS),
            header=names,
        )
    if len(numbers) > 1:
        found = ", ".join(names[i] for i in numbers)
        raise errors.InvalidRequest(f"the header has several number columns: {found}")
    named = [i for i, name in enumerate(names) if name.lower() == NAME_COLUMN]
    if len(named) > 1:
        raise errors.InvalidRequest("the header has several name columns")
    fields: list[tuple[int, str]] = []
    wrong: list[str] = []
    seen: set[str] = set()
    for i, name in enumerate(names):
        lowered = name.lower()
        if not name or i in numbers or i in named or lowered in IGNORED_COLUMNS:
            continue  # columns without a name are ignored
        if not FIELD_NAME.fullmatch(name) or lowered in seen:
            wrong.append(name)
        seen.add(lowered)
        fields.append((i, name))
    if wrong:
        raise errors.InvalidRequest(
            "column names must be unique and usable as {placeholders} (letters, digits, _; "
            "not starting with a digit): " + ", ".join(repr(name) for name in wrong),
            columns=wrong,
        )
    if len(fields) > MAX_FIELDS:
        raise errors.InvalidRequest(f"at most {MAX_FIELDS} custom field columns")
    return CsvLayout(numbers[0], named[0] if named else None, tuple(fields), len(names))


def read_row(layout: CsvLayout, cells: Sequence[str]) -> ContactInput | Reason:
    """A data row's cells as a contact input (not yet checked); short rows are padded."""
    if len(cells) > layout.width and any(cell.strip() for cell in cells[layout.width :]):
        return Reason.TOO_MANY_COLUMNS
    width = len(cells)
    number = cells[layout.number_column] if layout.number_column < width else ""
    name = None
    if layout.name_column is not None and layout.name_column < width:
        name = cells[layout.name_column]
    fields = {key: cells[i] for i, key in layout.fields if i < width and cells[i]}
    return ContactInput(number, name, fields)


def read_rows(
    layout: CsvLayout,
    delimiter: str,
    lines: Iterable[str],
    first_row: int,
    default_country: str | None,
) -> tuple[list[ReadRow], int]:
    """The data rows in `lines` (whole records), numbered from `first_row`; and the next
    row number. Blank rows (no cell with anything in it) are skipped."""
    reader = csv.reader(lines, delimiter=delimiter)
    found: list[ReadRow] = []
    row = first_row
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error:
            found.append(ReadRow(row, "", Reason.MALFORMED_ROW))
            row += 1
            continue
        if any(cell.strip() for cell in cells):
            entry = read_row(layout, cells)
            if isinstance(entry, Reason):
                value = cells[layout.number_column] if layout.number_column < len(cells) else ""
                found.append(ReadRow(row, value.strip(), entry))
            else:
                found.append(
                    ReadRow(row, entry.number.strip(), read_contact(entry, default_country))
                )
        row += 1
    return found, row


_START, _UNQUOTED, _QUOTED, _QUOTE_IN_QUOTED = range(4)


class CsvRecordCutter:
    """Tells where records end in CSV lines, so that a file can be parsed in chunks.

    A quoted field may hold line breaks; this follows the states of the `csv` module's reader
    (excel dialect: double quotes, doubled to escape) to know whether a line ends inside one.
    """

    def __init__(self, delimiter: str = ",") -> None:
        self.delimiter = delimiter
        self._state = _START
        self._chars = 0

    def ends_record(self, line: str) -> bool:
        """Whether the record under way ends with `line` (which must end where a line does)."""
        state = self._state
        self._chars += len(line)
        if '"' not in line:
            if state == _QUOTED:
                self._check_size()
                return False
            self._state, self._chars = _START, 0
            return True
        delimiter = self.delimiter
        for char in line:
            if state == _QUOTED:
                if char == '"':
                    state = _QUOTE_IN_QUOTED
            elif state == _QUOTE_IN_QUOTED:
                state = _QUOTED if char == '"' else _START if char == delimiter else _UNQUOTED
            elif state == _START:
                if char == '"':
                    state = _QUOTED
                elif char != delimiter:
                    state = _UNQUOTED
            elif char == delimiter:
                state = _START
        if state == _QUOTED:
            self._state = state
            self._check_size()
            return False
        self._state, self._chars = _START, 0
        return True

    def _check_size(self) -> None:
        if self._chars > MAX_RECORD_CHARS:
            raise errors.InvalidRequest(
                f"a row is longer than {MAX_RECORD_CHARS} characters: is a quote left open?"
            )


def search_filter(
    term: str | None, default_country: str | None, *, after_id: int | None, limit: int
) -> MemberFilter:
    """What a search box means: a number (or its start) in any format, or part of a name."""
    text = (term or "").strip()
    if not text:
        return MemberFilter(after_id=after_id, limit=limit)
    digits = re.sub(r"[\s().-]", "", text)
    prefix = None
    if re.fullmatch(r"\+?\d+", digits):
        phone = parse_phone(digits, default_country)
        prefix = phone.e164 if phone is not None else "+" + digits.lstrip("+")
    return MemberFilter(number_prefix=prefix, name_part=text, after_id=after_id, limit=limit)
