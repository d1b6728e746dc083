"""Prices: micro-credits per SMS segment or per MMS, by (service, destination region).

A price for region "*" is the service's default; with neither, the built-in default applies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from smsgate.domain.accounts import Service

ANY_REGION = "*"
DEFAULT_PRICE_MICROS = {Service.SMS: 1_000_000, Service.MMS: 5_000_000}


@dataclass(frozen=True, slots=True)
class PriceTable:
    prices: Mapping[tuple[Service, str], int] = field(default_factory=dict)

    def unit_price(self, service: Service, region: str) -> int:
        """Micro-credits for one SMS segment or one MMS to `region`."""
        found = self.prices.get((service, region))
        if found is None:
            found = self.prices.get((service, ANY_REGION), DEFAULT_PRICE_MICROS[service])
        return found

    def listed(self) -> list[tuple[Service, str, int]]:
        """(service, region, price) of every price set, regions in order, "*" first."""
        return sorted(
            ((service, region, price) for (service, region), price in self.prices.items()),
            key=lambda item: (str(item[0]), item[1] != ANY_REGION, item[1]),
        )

    def default_price(self, service: Service) -> int:
        """Micro-credits per segment (SMS) or message (MMS) where no region price applies."""
        return self.prices.get((service, ANY_REGION), DEFAULT_PRICE_MICROS[service])

    def message_price(self, service: Service, region: str, segments: int) -> int:
        unit = self.unit_price(service, region)
        return unit * segments if service is Service.SMS else unit
