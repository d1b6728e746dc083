"""Inbound (MO) messages and opt-out keywords."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

DEFAULT_OPT_OUT_KEYWORDS = (
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "OPTOUT",
    "ARRET",  # French (ARRÊT once accents are folded)
    "STOPP",  # German
    "BAJA",  # Spanish
    "لغو",  # Persian: cancel
)

_WORD = re.compile(r"\w+", re.UNICODE)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def opt_out_matcher(keywords: Iterable[str]) -> frozenset[str]:
    """The folded keyword set that `is_opt_out` compares against."""
    return frozenset(_fold(k.strip()) for k in keywords if k.strip())


def is_opt_out(text: str, keywords: frozenset[str]) -> bool:
    """Whether an inbound text asks to stop: its first word (or the whole text) is a keyword.

    "STOP", "stop please", " Arrêt." count; "don't stop" does not.
    """
    folded = _fold(text.strip())
    if folded in keywords:
        return True
    first = _WORD.search(folded)
    return first is not None and first.start() == 0 and first.group() in keywords


@dataclass(frozen=True, slots=True)
class InboundMessage:
    id: int
    account_id: int
    sender: str
    recipient: str
    text: str
    parts: int
    is_read: bool
    opt_out: bool
    received_at: datetime


@dataclass(frozen=True, slots=True)
class InboxFilter:
    is_read: bool | None = None
    recipient: str | None = None  # the account's line
    sender: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None  # cursor: messages with a smaller id
    limit: int = 50
