"""`smsgate lists`, run in-process with click's runner on a real database (as test_cli_links)."""

from __future__ import annotations

from pathlib import Path

import pytest

from smsgate.cli.list_output import ImportMeter
from smsgate.domain.contacts import ImportReport
from tests.cli.invoking import invoke, invoke_json

ACCOUNT = ("--account", "alice")


@pytest.fixture(autouse=True)
def alice(cli_database: str) -> None:
    invoke("accounts", "create", "alice", "--password", "secret-pw", "--country", "FR")


def test_lists_import_with_create_and_report_writes_every_problem(tmp_path: Path) -> None:
    source = tmp_path / "contacts.csv"
    source.write_text(
        "number,name,city\n"
        "0612345678,Ann,Paris\n"
        "oops,Bob,Lyon\n"
        "+33612345678,Ann,Paris\n"
        "+33612345679,Zoé,Nice\n",
        encoding="utf-8",
    )
    report = tmp_path / "problems.csv"
    result = invoke(
        "lists", "import", str(source), "--list", "clients", *ACCOUNT, "--create",
        "--report", str(report),
    )  # fmt: skip
    assert "imported into clients: 4 rows" in result.stdout
    assert "invalid_number" in result.stdout
    assert report.read_text(encoding="utf-8") == (
        "row,value,reason\n3,oops,invalid_number\n4,+33612345678,duplicate\n"
    )
    shown = invoke_json("lists", "show", "clients", *ACCOUNT)
    assert shown["size"] == 2
    assert [c["number"] for c in shown["contacts"]] == ["+33612345678", "+33612345679"]


def test_lists_import_into_missing_list_without_create_exits_not_found(tmp_path: Path) -> None:
    source = tmp_path / "contacts.csv"
    source.write_text("number\n+33612345678\n", encoding="utf-8")
    result = invoke("lists", "import", str(source), "--list", "nope", *ACCOUNT, expect=3)
    assert "no list named 'nope'" in result.stderr


def test_lists_import_json_report_and_bad_header_exit_invalid(tmp_path: Path) -> None:
    invoke("lists", "create", "clients", *ACCOUNT)
    source = tmp_path / "contacts.csv"
    source.write_bytes(b"\xef\xbb\xbfPhone;Name\r\n+33612345678;Ann\r\n")
    data = invoke_json("lists", "import", str(source), "--list", "clients", *ACCOUNT)
    assert data["counts"]["added"] == 1
    assert data["problems"] == []
    source.write_text("name\nAnn\n", encoding="utf-8")
    result = invoke("lists", "import", str(source), "--list", "clients", *ACCOUNT, expect=2)
    assert "no number column" in result.stderr


def test_lists_add_search_remove_export_delete(tmp_path: Path) -> None:
    invoke("lists", "create", "clients", *ACCOUNT)
    added = invoke_json(
        "lists", "add", "clients", "0612345678", *ACCOUNT, "--name", "Ann", "--field", "city=Paris"
    )
    assert added["contacts"][0]["verdict"] == "created"
    invoke("lists", "add", "clients", "+33612345679", "12", *ACCOUNT)
    found = invoke_json("lists", "search", "clients", "ann", *ACCOUNT)
    assert [c["fields"] for c in found["data"]] == [{"city": "Paris"}]
    assert "Ann" in invoke("lists", "search", "clients", *ACCOUNT).stdout
    out = tmp_path / "out.csv"
    invoke("lists", "export", "clients", *ACCOUNT, "--output", str(out))
    assert out.read_text(encoding="utf-8") == (
        "number,name,city,opted_out\n+33612345678,Ann,Paris,false\n+33612345679,,,false\n"
    )
    removed = invoke("lists", "remove", "clients", "+33612345679", *ACCOUNT)
    assert "1 of 1 removed" in removed.stdout
    listed = invoke_json("lists", "list", *ACCOUNT)
    assert [(x["name"], x["size"]) for x in listed] == [("clients", 1)]
    invoke("lists", "delete", "clients", *ACCOUNT)
    assert invoke_json("lists", "list", *ACCOUNT) == []
    invoke("lists", "show", "clients", *ACCOUNT, expect=3)
    invoke("lists", "create", "x", "--account", "nobody", expect=3)


def test_lists_add_name_with_several_numbers_is_a_usage_error() -> None:
    invoke("lists", "create", "clients", *ACCOUNT)
    invoke("lists", "add", "clients", "+33612345678", "+33612345679", *ACCOUNT, "--name", "A",
           expect=2)  # fmt: skip


def test_import_meter_line_shows_share_rows_and_rate() -> None:
    meter = ImportMeter(total_bytes=1000, show=False)
    meter.bytes_read = 500
    line = meter.line(ImportReport(rows=20_000).rows)
    assert line.startswith("[############............]  50%  20,000 rows")
    assert line.endswith("rows/s")
