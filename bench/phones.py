"""parse_phone benchmark: microseconds per distinct, valid E.164 recipient.

Builds 100,000 distinct valid numbers (mobile and fixed-line ranges of FR, GB, US, IR, PL, DE,
HK, MO, RU, IN) so the lru_cache in front of the parser does not help, clears that cache
before every repetition, and prints the best of several repetitions. `--compare PATH` times
another copy of phones.py (say the version before a change) in the same run.

    .venv/bin/python bench/phones.py [--count 100000] [--repeat 7] [--compare /tmp/phones_orig.py]
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import sys
import time
from pathlib import Path
from types import ModuleType

import phonenumbers
from phonenumbers import PhoneNumberType

from smsgate.domain import phones

REGIONS = ("FR", "GB", "US", "IR", "PL", "DE", "HK", "MO", "RU", "IN")
TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE)


def valid_numbers(count: int, seed: int = 7) -> list[str]:
    """`count` distinct valid E.164 numbers, as many from each region, in a shuffled order."""
    rng = random.Random(seed)
    found: set[str] = set()
    per_region = -(-count // len(REGIONS))
    for region in REGIONS:
        examples = [phonenumbers.example_number_for_type(region, kind) for kind in TYPES]
        code = str(phonenumbers.country_code_for_region(region))
        wanted = len(found) + per_region
        while len(found) < wanted:
            example = rng.choice([e for e in examples if e is not None])
            nsn = phonenumbers.national_significant_number(example)
            tail = min(6, len(nsn) - 2)
            candidate = nsn[:-tail] + "".join(rng.choices("0123456789", k=tail))
            number = phonenumbers.parse("+" + code + candidate)
            if phonenumbers.is_valid_number(number):
                found.add("+" + code + candidate)
    numbers = sorted(found)[:count]
    rng.shuffle(numbers)
    return numbers


def time_module(module: ModuleType, numbers: list[str], repeat: int) -> float:
    """Best microseconds per number over `repeat` runs, each starting with a cold cache."""
    best = float("inf")
    for _ in range(repeat):
        module._parse_cached.cache_clear()
        parse = module.parse_phone
        start = time.perf_counter()
        for raw in numbers:
            parse(raw)
        best = min(best, time.perf_counter() - start)
    return best / len(numbers) * 1e6


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("phones_compared", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--compare", type=Path, help="another phones.py to time on the same numbers"
    )
    args = parser.parse_args()
    numbers = valid_numbers(args.count)
    print(f"{len(numbers)} distinct valid numbers from {', '.join(REGIONS)}")
    modules = [("current", phones)]
    if args.compare:
        modules.insert(0, (str(args.compare), load(args.compare)))
    for name, module in modules:
        misses = sum(module.parse_phone(raw) is None for raw in numbers)
        assert misses == 0, f"{name}: {misses} valid numbers rejected"
        print(f"{name}: {time_module(module, numbers, args.repeat):.2f} us per number")


if __name__ == "__main__":
    main()
