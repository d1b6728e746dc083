"""Contacts' pure rules: CSV headers and rows, checks, merging, record cutting, search."""

from __future__ import annotations

import pytest

from smsgate import errors
from smsgate.domain.contacts import (
    MAX_RECORD_CHARS,
    Contact,
    ContactInput,
    CsvRecordCutter,
    ImportTally,
    MemberFilter,
    NewContact,
    ReadRow,
    Reason,
    RowProblem,
    Verdict,
    check_list_name,
    choose_delimiter,
    merge_contact,
    read_contact,
    read_header,
    read_row,
    read_rows,
    search_filter,
)


@pytest.mark.parametrize("column", ["number", "Phone", "MOBILE", " msisdn "])
def test_read_header_number_aliases_any_case_find_the_number_column(column: str) -> None:
    layout = read_header(["Name", column, "city"])
    assert layout.number_column == 1
    assert layout.name_column == 0
    assert layout.fields == ((2, "city"),)


def test_read_header_bom_blank_and_opted_out_columns_are_not_fields() -> None:
    layout = read_header(["\ufeffnumber", "", "first_name", "opted_out"])
    assert layout.number_column == 0
    assert layout.name_column is None
    assert layout.fields == ((2, "first_name"),)
    assert layout.width == 4


def test_read_header_without_number_column_raises_invalid_request() -> None:
    with pytest.raises(errors.InvalidRequest, match="no number column"):
        read_header(["name", "city"])


def test_read_header_several_number_columns_raises_invalid_request() -> None:
    with pytest.raises(errors.InvalidRequest, match="phone, mobile"):
        read_header(["phone", "mobile"])


@pytest.mark.parametrize("bad", ["first name", "2nd", "e-mail", "city,City"])
def test_read_header_field_not_usable_as_placeholder_raises_invalid_request(bad: str) -> None:
    with pytest.raises(errors.InvalidRequest, match="placeholders"):
        read_header(["number", *bad.split(",")])


def test_read_row_short_row_is_padded_and_empty_cells_dropped() -> None:
    layout = read_header(["number", "name", "city", "plan"])
    entry = read_row(layout, ["+33612345678", "Ann", ""])
    assert entry == ContactInput("+33612345678", "Ann", {})


def test_read_row_extra_non_empty_cell_is_too_many_columns() -> None:
    layout = read_header(["number", "name"])
    assert read_row(layout, ["+33612345678", "Ann", "", ""]) == ContactInput(
        "+33612345678", "Ann", {}
    )
    assert read_row(layout, ["+33612345678", "Ann", "x"]) is Reason.TOO_MANY_COLUMNS


def test_read_contact_national_number_uses_default_country() -> None:
    contact = read_contact(ContactInput(" 0612345678 ", " Ann ", {"city": " Paris "}), "FR")
    assert contact == NewContact("+33612345678", "FR", "Ann", {"city": "Paris"}, gsm7=True)


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        (ContactInput(""), Reason.MISSING_NUMBER),
        (ContactInput("12"), Reason.INVALID_NUMBER),
        (ContactInput("+33612345678", "x" * 129), Reason.NAME_TOO_LONG),
        (ContactInput("+33612345678", None, {"city": "x" * 257}), Reason.VALUE_TOO_LONG),
        (ContactInput("+33612345678", None, {"bad key": "x"}), Reason.INVALID_FIELD_NAME),
        (ContactInput("+33612345678", None, {"name": "x"}), Reason.INVALID_FIELD_NAME),
        (
            ContactInput("+33612345678", None, {f"f{i}": "x" for i in range(33)}),
            Reason.TOO_MANY_FIELDS,
        ),
    ],
)
def test_read_contact_broken_rule_gives_its_reason(entry: ContactInput, reason: Reason) -> None:
    assert read_contact(entry, "FR") is reason


def test_read_contact_gsm7_true_with_extension_chars_false_with_persian() -> None:
    extension = read_contact(ContactInput("+33612345678", "Zoé {€}", {"a": "[x]"}), None)
    persian = read_contact(ContactInput("+989121234567", None, {"city": "تهران"}), None)
    assert isinstance(extension, NewContact)
    assert extension.gsm7
    assert isinstance(persian, NewContact)
    assert not persian.gsm7


def test_merge_contact_row_wins_and_empty_keeps_known_gsm7_recomputed() -> None:
    known = NewContact("+33612345678", "FR", "Ann", {"city": "تهران", "plan": "gold"}, False)
    merged = merge_contact(known, NewContact("+33612345678", "FR", None, {"city": "Paris"}, True))
    assert merged == NewContact(
        "+33612345678", "FR", "Ann", {"city": "Paris", "plan": "gold"}, gsm7=True
    )


def test_merge_contact_with_stored_contact_keeps_it_when_row_is_empty() -> None:
    from datetime import UTC, datetime

    stored = Contact(7, "+33612345678", "FR", "Ann", {"a": "b"}, True, datetime.now(UTC))
    merged = merge_contact(stored, NewContact("+33612345678", "FR", None, {}, True))
    assert merged == NewContact("+33612345678", "FR", "Ann", {"a": "b"}, True)


def test_record_cutter_quoted_line_breaks_and_escaped_quotes_span_lines() -> None:
    cutter = CsvRecordCutter(",")
    assert cutter.ends_record("+33612345678,Ann\n")
    assert not cutter.ends_record('+33612345679,"Bob ""the\n')
    assert not cutter.ends_record("builder\n")
    assert cutter.ends_record('""",Paris\n')
    assert cutter.ends_record('+33612345670,say "hi",x\n')  # a quote inside a field: literal


def test_record_cutter_open_quote_past_the_limit_raises_invalid_request() -> None:
    cutter = CsvRecordCutter(",")
    assert not cutter.ends_record('1,"open\n')
    for _ in range(MAX_RECORD_CHARS // 10 - 1):
        assert not cutter.ends_record("0123456789")
    with pytest.raises(errors.InvalidRequest, match="quote left open"):
        cutter.ends_record("0123456789")


@pytest.mark.parametrize(
    ("line", "delimiter"),
    [("number,name\n", ","), ("number;name;city\n", ";"), ("number\tname\n", "\t"), ("n\n", ",")],
)
def test_choose_delimiter_most_frequent_wins(line: str, delimiter: str) -> None:
    assert choose_delimiter(line) == delimiter


def test_read_rows_numbers_rows_like_a_spreadsheet_and_skips_blank_ones() -> None:
    layout = read_header(["number", "name"])
    lines = ["+33612345678,Ann\n", "\n", ",\n", "nope,Bob\n", '+33612345679,"multi\n', 'line"\n']
    rows, next_row = read_rows(layout, ",", lines, 2, None)
    assert [(r.row, r.value) for r in rows] == [
        (2, "+33612345678"),
        (5, "nope"),
        (6, "+33612345679"),
    ]
    assert rows[1].contact is Reason.INVALID_NUMBER
    assert isinstance(rows[2].contact, NewContact)
    assert rows[2].contact.name == "multi\nline"
    assert next_row == 7


def test_check_list_name_strips_and_refuses_empty_or_long() -> None:
    assert check_list_name("  VIP  ") == "VIP"
    for bad in ("   ", "x" * 65):
        with pytest.raises(errors.InvalidRequest):
            check_list_name(bad)


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("", MemberFilter(limit=10)),
        ("06 12 34 56 78", MemberFilter("+33612345678", "06 12 34 56 78", limit=10)),
        ("+3361", MemberFilter("+3361", "+3361", limit=10)),
        ("ann", MemberFilter(None, "ann", limit=10)),
    ],
)
def test_search_filter_number_or_name(term: str, expected: MemberFilter) -> None:
    assert search_filter(term, "FR", after_id=None, limit=10) == expected


def test_import_tally_counts_each_verdict_keeps_first_problems_sinks_all() -> None:
    sunk: list[RowProblem] = []
    tally = ImportTally(max_problems=1, sink=sunk.append)
    valid = NewContact("+33612345678", "FR", None, {}, True)
    rows = [ReadRow(2, "a", valid), ReadRow(3, "b", valid), ReadRow(4, "c", valid)]
    rows.append(ReadRow(5, "x", Reason.INVALID_NUMBER))
    tally.count(rows, [Verdict.CREATED, Verdict.ADDED, Verdict.DUPLICATE, Verdict.INVALID])
    report = tally.report()
    assert (report.rows, report.imported, report.updated, report.added) == (4, 1, 2, 2)
    assert (report.invalid, report.duplicate, report.problems_left_out) == (1, 1, 1)
    assert report.problems == (RowProblem(4, "c", Reason.DUPLICATE),)
    assert [p.row for p in sunk] == [4, 5]
