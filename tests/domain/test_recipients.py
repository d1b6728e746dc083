from __future__ import annotations

from smsgate.domain.accounts import Account, AccountStatus
from smsgate.domain.recipients import (
    Recipient,
    Screening,
    Verdict,
    count_verdicts,
    read_recipients,
    screen_recipients,
)


def account(**overrides: object) -> Account:
    values: dict[str, object] = {
        "id": 1,
        "username": "a",
        "email": None,
        "status": AccountStatus.ACTIVE,
        "balance_micros": 0,
        "default_country": "FR",
    }
    values.update(overrides)
    return Account(**values)  # type: ignore[arg-type]


def verdicts_of(raws: list[str], acc: Account, screening: Screening) -> list[Verdict]:
    first = read_recipients([Recipient(r) for r in raws], acc.default_country)
    return [v.verdict for v in screen_recipients(first, acc, screening)]


def test_screen_each_rule_gives_its_own_verdict() -> None:
    acc = account(
        allowed_countries=frozenset({"FR", "GB"}),
        flood_limit_24h=2,
        country_monthly_limits={"GB": 1},
    )
    screening = Screening(
        blacklisted=frozenset({"+33611111111"}),
        npai=frozenset({"+33622222222"}),
        sent_24h={"+33633333333": 2},
        sent_this_month={"GB": 1},
    )
    raws = [
        "0600000000",  # accepted
        "nope",  # invalid
        "+33600000000",  # duplicated
        "0611111111",  # blacklisted
        "0622222222",  # npai
        "+989121234567",  # not allowed (IR)
        "0633333333",  # flood
        "+447400123456",  # GB monthly limit used up
    ]
    assert verdicts_of(raws, acc, screening) == [
        Verdict.ACCEPTED,
        Verdict.INVALID,
        Verdict.DUPLICATED,
        Verdict.BLACKLISTED,
        Verdict.NPAI,
        Verdict.NOT_ALLOWED,
        Verdict.FLOOD,
        Verdict.COUNTRY_LIMIT,
    ]


def test_screen_daily_limit_first_recipients_win() -> None:
    acc = account(daily_limit=5)
    got = verdicts_of(["0600000001", "0600000002", "0600000003"], acc, Screening(sent_today=3))
    assert got == [Verdict.ACCEPTED, Verdict.ACCEPTED, Verdict.DAILY_LIMIT]


def test_screen_country_limit_counts_within_request() -> None:
    acc = account(country_monthly_limits={"FR": 2})
    got = verdicts_of(["0600000001", "0600000002", "0600000003"], acc, Screening())
    assert got == [Verdict.ACCEPTED, Verdict.ACCEPTED, Verdict.COUNTRY_LIMIT]


def test_count_verdicts_lists_every_verdict() -> None:
    first = read_recipients([Recipient("x"), Recipient("0600000001")], "FR")
    counts = count_verdicts(first)
    assert set(counts) == set(Verdict)
    assert counts[Verdict.INVALID] == 1
    assert counts[Verdict.ACCEPTED] == 1


def test_read_recipients_keeps_references() -> None:
    first = read_recipients([Recipient("0600000001", "ref-1")], "FR")
    assert first[0].reference == "ref-1"
    assert first[0].number == "+33600000001"
