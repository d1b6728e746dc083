"""ContactService against a real database: lists, imports (invalid and duplicate rows, chunks),
contacts in several lists, opt-outs, search, export, and one tenant never seeing another's."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from smsgate import errors
from smsgate.bootstrap import Gateway
from smsgate.clock import FrozenClock
from smsgate.domain.accounts import Account
from smsgate.domain.contacts import ContactInput, ImportReport, Reason, RowProblem, Verdict
from smsgate.services.accounts import NewAccount
from smsgate.services.contacts import ContactService


async def new_account(gateway: Gateway, username: str = "alice") -> Account:
    await gateway.accounts.create(NewAccount(username=username, password="secret-pw", country="FR"))
    return await gateway.accounts.get(username)


@pytest.fixture
async def alice(gateway: Gateway) -> Account:
    return await new_account(gateway)


def small_chunks(gateway: Gateway, clock: FrozenClock, **options: int) -> ContactService:
    return ContactService(gateway.store, clock, **{"chunk_rows": 2, **options})


async def test_import_csv_invalid_and_duplicate_rows_are_counted_and_reported(
    gateway: Gateway, clock: FrozenClock, alice: Account
) -> None:
    contacts = small_chunks(gateway, clock)
    vip = await contacts.create_list(alice, "vip")
    await contacts.add_contacts(alice, vip.id, [ContactInput("+33612345670")])  # before
    lines = [
        "Phone,Name,city\n",
        "0612345678,Ann,Paris\n",
        "+33 6 12 34 56 78,Ann B,\n",  # same number, same chunk: duplicate
        "not a number,Bob,Lyon\n",
        "\n",
        "+33612345670,Old,Nice\n",  # in the list already
        "0612345679,Cy,Lille\n",
        "06.12.34.56.78,,Brest\n",  # same number, a later chunk
        ",No number,\n",
    ]
    report = await contacts.import_csv(alice, vip.id, lines)
    assert (report.rows, report.imported, report.updated, report.added) == (7, 2, 3, 2)
    assert (report.invalid, report.duplicate) == (2, 3)
    assert [(p.row, p.value, p.reason) for p in report.problems] == [
        (3, "+33 6 12 34 56 78", Reason.DUPLICATE),
        (4, "not a number", Reason.INVALID_NUMBER),
        (6, "+33612345670", Reason.DUPLICATE),
        (8, "06.12.34.56.78", Reason.DUPLICATE),
        (9, "", Reason.MISSING_NUMBER),
    ]
    page = await contacts.search(alice, vip.id)
    by_number = {c.number: c for c in page.contacts}
    assert sorted(by_number) == ["+33612345670", "+33612345678", "+33612345679"]
    # Later rows update the contact; empty cells keep what was there.
    assert by_number["+33612345678"].name == "Ann B"
    assert by_number["+33612345678"].fields == {"city": "Brest"}
    assert by_number["+33612345670"].name == "Old"
    assert (await contacts.get_list(alice, vip.id)).size == 3


async def test_import_csv_reimport_same_file_gives_only_duplicates(
    gateway: Gateway, alice: Account
) -> None:
    vip = await gateway.contacts.create_list(alice, "vip")
    lines = ["number,name\n", "+33612345678,Ann\n", "+33612345679,Bob\n"]
    await gateway.contacts.import_csv(alice, vip.id, lines)
    again = await gateway.contacts.import_csv(alice, vip.id, lines)
    assert (again.rows, again.imported, again.updated, again.added, again.duplicate) == (
        2,
        0,
        2,
        0,
        2,
    )


async def test_import_csv_keeps_first_problems_and_sink_gets_all(
    gateway: Gateway, clock: FrozenClock, alice: Account
) -> None:
    contacts = small_chunks(gateway, clock, max_problems=2)
    vip = await contacts.create_list(alice, "vip")
    sunk: list[RowProblem] = []
    progress: list[ImportReport] = []
    lines = ["number\n", *(f"bad{i}\n" for i in range(5))]
    report = await contacts.import_csv(
        alice, vip.id, lines, progress=progress.append, problems=sunk.append
    )
    assert report.invalid == 5
    assert [p.row for p in report.problems] == [2, 3]
    assert report.problems_left_out == 3
    assert [p.row for p in sunk] == [2, 3, 4, 5, 6]
    assert [r.rows for r in progress] == [2, 4, 5]


async def test_import_csv_async_lines_with_quoted_line_break_across_chunks(
    gateway: Gateway, clock: FrozenClock, alice: Account
) -> None:
    contacts = small_chunks(gateway, clock)

    async def lines() -> AsyncIterator[str]:
        for line in [
            "number;name;note\n",
            "+33612345670;A;x\n",
            '+33612345671;"B\n',
            'on two lines";"say ""hi"""\n',
            "+33612345672;C;y",
        ]:
            yield line

    vip = await contacts.create_list(alice, "vip")
    report = await contacts.import_csv(alice, vip.id, lines())
    assert (report.rows, report.added, report.invalid) == (3, 3, 0)
    page = await contacts.search(alice, vip.id, "B")
    assert [(c.name, dict(c.fields)) for c in page.contacts] == [
        ("B\non two lines", {"note": 'say "hi"'})
    ]


async def test_import_csv_without_header_or_number_column_raises_invalid_request(
    gateway: Gateway, alice: Account
) -> None:
    vip = await gateway.contacts.create_list(alice, "vip")
    with pytest.raises(errors.InvalidRequest, match="empty"):
        await gateway.contacts.import_csv(alice, vip.id, ["\n", "  \n"])
    with pytest.raises(errors.InvalidRequest, match="no number column"):
        await gateway.contacts.import_csv(alice, vip.id, ["name,city\n", "Ann,Paris\n"])


async def test_contact_in_two_lists_is_one_contact(gateway: Gateway, alice: Account) -> None:
    vip = await gateway.contacts.create_list(alice, "vip")
    news = await gateway.contacts.create_list(alice, "news")
    first = await gateway.contacts.add_contacts(
        alice, vip.id, [ContactInput("0612345678", "Ann", {"city": "Paris"})]
    )
    second = await gateway.contacts.add_contacts(
        alice, news.id, [ContactInput("+33612345678", None, {"plan": "gold"})]
    )
    assert [v.verdict for v in first.verdicts] == [Verdict.CREATED]
    assert [v.verdict for v in second.verdicts] == [Verdict.ADDED]
    [in_vip] = (await gateway.contacts.search(alice, vip.id)).contacts
    [in_news] = (await gateway.contacts.search(alice, news.id)).contacts
    assert in_vip.id == in_news.id
    assert in_news.fields == {"city": "Paris", "plan": "gold"}
    await gateway.contacts.delete_list(alice, vip.id)
    assert [c.number for c in (await gateway.contacts.search(alice, news.id)).contacts] == [
        "+33612345678"
    ]
    assert [(x.name, x.size) for x in await gateway.contacts.lists(alice)] == [("news", 1)]


async def test_add_contacts_verdicts_and_counts(gateway: Gateway, alice: Account) -> None:
    vip = await gateway.contacts.create_list(alice, "vip")
    outcome = await gateway.contacts.add_contacts(
        alice,
        vip.id,
        [
            ContactInput("0612345678", "Ann"),
            ContactInput("12"),
            ContactInput("+33612345678"),
            ContactInput("+33612345679", None, {"bad key": "x"}),
        ],
    )
    assert [(v.input, v.number, v.verdict, v.reason) for v in outcome.verdicts] == [
        ("0612345678", "+33612345678", Verdict.CREATED, None),
        ("12", None, Verdict.INVALID, Reason.INVALID_NUMBER),
        ("+33612345678", "+33612345678", Verdict.DUPLICATE, None),
        ("+33612345679", None, Verdict.INVALID, Reason.INVALID_FIELD_NAME),
    ]
    assert (outcome.report.added, outcome.report.invalid, outcome.report.duplicate) == (1, 2, 1)


async def test_add_contacts_none_or_too_many_raises_invalid_request(
    gateway: Gateway, alice: Account
) -> None:
    vip = await gateway.contacts.create_list(alice, "vip")
    with pytest.raises(errors.InvalidRequest):
        await gateway.contacts.add_contacts(alice, vip.id, [])
    with pytest.raises(errors.InvalidRequest, match="at most 1000"):
        await gateway.contacts.add_contacts(alice, vip.id, [ContactInput("1")] * 1001)


async def test_create_list_same_name_raises_conflict_other_account_may(
    gateway: Gateway, alice: Account
) -> None:
    bob = await new_account(gateway, "bob")
    await gateway.contacts.create_list(alice, "vip")
    with pytest.raises(errors.Conflict, match="vip"):
        await gateway.contacts.create_list(alice, " vip ")
    assert (await gateway.contacts.create_list(bob, "vip")).name == "vip"


async def test_other_account_list_is_not_found_everywhere(gateway: Gateway, alice: Account) -> None:
    bob = await new_account(gateway, "bob")
    vip = await gateway.contacts.create_list(alice, "vip")
    await gateway.contacts.add_contacts(alice, vip.id, [ContactInput("+33612345678")])
    attempts = [
        gateway.contacts.get_list(bob, vip.id),
        gateway.contacts.delete_list(bob, vip.id),
        gateway.contacts.search(bob, vip.id),
        gateway.contacts.add_contacts(bob, vip.id, [ContactInput("+33612345679")]),
        gateway.contacts.remove_contacts(bob, vip.id, ["+33612345678"]),
        gateway.contacts.import_csv(bob, vip.id, ["number\n", "+33612345679\n"]),
        gateway.contacts.export_csv(bob, vip.id),
        gateway.contacts.list_named(bob, "vip"),
    ]
    for attempt in attempts:
        with pytest.raises(errors.NotFound):
            await attempt
    assert await gateway.contacts.lists(bob) == []
    assert (await gateway.contacts.get_list(alice, vip.id)).size == 1


async def test_search_by_number_prefix_national_format_or_name_pages_by_id(
    gateway: Gateway, alice: Account
) -> None:
    vip = await gateway.contacts.create_list(alice, "vip")
    entries = [
        ContactInput("+33612345670", "Anne Martin"),
        ContactInput("+33756123456", "Bob"),
        ContactInput("+447400123456", "Marta"),
        ContactInput("+33612345672", "100%_sure"),
    ]
    await gateway.contacts.add_contacts(alice, vip.id, entries)

    async def numbers(term: str | None, **options: int) -> list[str]:
        page = await gateway.contacts.search(alice, vip.id, term, **options)
        return [c.number for c in page.contacts]

    assert await numbers("+336") == ["+33612345670", "+33612345672"]
    assert await numbers("07 56 12 34 56") == ["+33756123456"]
    assert await numbers("mART") == ["+33612345670", "+447400123456"]
    assert await numbers("%_") == ["+33612345672"]
    first = await gateway.contacts.search(alice, vip.id, limit=2)
    assert first.next_after == first.contacts[-1].id
    assert await numbers(None, limit=2) == ["+33612345670", "+33612345672"]  # ids: by number
    assert await numbers(None, after=first.next_after or 0, limit=2) == [
        "+33756123456",
        "+447400123456",
    ]
    with pytest.raises(errors.InvalidRequest):
        await gateway.contacts.search(alice, vip.id, limit=0)


async def test_blacklisted_contact_stays_in_list_marked_opted_out(
    gateway: Gateway, alice: Account
) -> None:
    vip = await gateway.contacts.create_list(alice, "vip")
    numbers = ["+33612345670", "+33612345671", "+33612345672"]
    await gateway.contacts.add_contacts(alice, vip.id, [ContactInput(n) for n in numbers])
    await gateway.accounts.blacklist_add("alice", ["+33612345670"])
    await gateway.accounts.blacklist_add(None, ["+33612345671"])
    bob = await new_account(gateway, "bob")
    await gateway.accounts.blacklist_add("bob", ["+33612345672"])  # another account's
    page = await gateway.contacts.search(alice, vip.id)
    assert [(c.number, c.opted_out) for c in page.contacts] == [
        ("+33612345670", True),
        ("+33612345671", True),
        ("+33612345672", False),
    ]
    assert bob.id != alice.id


async def test_remove_contacts_leaves_contact_in_other_lists(
    gateway: Gateway, alice: Account
) -> None:
    vip = await gateway.contacts.create_list(alice, "vip")
    news = await gateway.contacts.create_list(alice, "news")
    for found in (vip, news):
        await gateway.contacts.add_contacts(alice, found.id, [ContactInput("+33612345678")])
    assert await gateway.contacts.remove_contacts(alice, vip.id, ["0612345678"]) == 1
    assert await gateway.contacts.remove_contacts(alice, vip.id, ["0612345678"]) == 0
    assert (await gateway.contacts.get_list(alice, news.id)).size == 1
    with pytest.raises(errors.InvalidRequest, match="not a valid phone number"):
        await gateway.contacts.remove_contacts(alice, vip.id, ["12"])


async def test_export_csv_columns_are_every_field_then_opted_out(
    gateway: Gateway, alice: Account
) -> None:
    vip = await gateway.contacts.create_list(alice, "vip")
    await gateway.contacts.add_contacts(
        alice,
        vip.id,
        [
            ContactInput("+33612345670", "Ann, Jr", {"city": "Paris"}),
            ContactInput("+33612345671", None, {"plan": "gold"}),
        ],
    )
    await gateway.accounts.blacklist_add("alice", ["+33612345671"])
    lines = [line async for line in await gateway.contacts.export_csv(alice, vip.id)]
    assert lines == [
        "number,name,city,plan,opted_out\n",
        '+33612345670,"Ann, Jr",Paris,,false\n',
        "+33612345671,,,gold,true\n",
    ]
    report = await gateway.contacts.import_csv(alice, vip.id, lines)  # a round trip
    assert (report.rows, report.duplicate, report.invalid) == (2, 2, 0)
