import random

import pytest

from smsgate.domain.text import (
    Encoding,
    SegmentPlan,
    decode_gsm7,
    decode_ucs2,
    encode_gsm7,
    encode_ucs2,
    gsm7_septets,
    is_gsm7,
    plan_segments,
)

# 3GPP TS 23.038 6.2.1, septet order; None marks 0x1B, the escape to the extension table.
DEFAULT_ALPHABET: list[str | None] = [
    *"@£$¥èéùìòÇ\nØø\rÅå",
    *"Δ_ΦΓΛΩΠΨΣΘΞ",
    None,
    *"ÆæßÉ",
    *" !\"#¤%&'()*+,-./0123456789:;<=>?",
    *"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§",
    *"¿abcdefghijklmnopqrstuvwxyzäöñüà",
]
EXTENSION_TABLE = {
    "\f": 0x0A,
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}
EMOJI = "😀"  # U+1F600, a surrogate pair in UTF-16


def test_default_alphabet_fixture_has_128_positions() -> None:
    assert len(DEFAULT_ALPHABET) == 128
    assert DEFAULT_ALPHABET[0x1B] is None


@pytest.mark.parametrize(
    ("septet", "char"),
    [(septet, char) for septet, char in enumerate(DEFAULT_ALPHABET) if char is not None],
)
def test_encode_gsm7_default_char_gives_its_septet(septet: int, char: str) -> None:
    assert encode_gsm7(char) == bytes([septet])
    assert gsm7_septets(char) == 1


@pytest.mark.parametrize(("char", "code"), EXTENSION_TABLE.items())
def test_encode_gsm7_extension_char_gives_escape_and_code(char: str, code: int) -> None:
    assert encode_gsm7(char) == bytes([0x1B, code])
    assert gsm7_septets(char) == 2


def test_greek_capitals_are_the_greek_code_points() -> None:
    assert encode_gsm7("\u0394\u03a9") == bytes([0x10, 0x15])
    assert not is_gsm7("\u2126")  # OHM SIGN, a look-alike of Ω


@pytest.mark.parametrize(
    "text",
    ["", "Hello, world!", "@£$¥ Ç ÆæßÉ ¿¡ §", "ΔΦΓΛΩΠΨΣΘΞ", "{[]}^~\\|€\f", "line\nbreak\r"],
)
def test_is_gsm7_alphabet_text_is_true(text: str) -> None:
    assert is_gsm7(text)


@pytest.mark.parametrize(
    "text",
    ["ç", "`", "\t", "\x1b", "á", "Привет", EMOJI, "\u00a0", "\ud83d"],
)
def test_is_gsm7_char_outside_alphabet_is_false(text: str) -> None:
    assert not is_gsm7(text)


def test_is_gsm7_empty_string_is_true() -> None:
    assert is_gsm7("")


def test_gsm7_septets_text_outside_alphabet_raises_with_position() -> None:
    with pytest.raises(ValueError, match=r"'ç' \(U\+00E7\) at 3"):
        gsm7_septets("Garçon")


def test_gsm7_septets_mixed_text_counts_escapes_twice() -> None:
    assert gsm7_septets("Price: 5€ [net]") == 15 + 3


def test_plan_segments_empty_text_is_one_empty_gsm7_part() -> None:
    assert plan_segments("") == SegmentPlan(Encoding.GSM7, 0, 1, ("",))


def test_plan_segments_empty_text_forced_unicode_is_one_empty_ucs2_part() -> None:
    assert plan_segments("", force_unicode=True) == SegmentPlan(Encoding.UCS2, 0, 1, ("",))


@pytest.mark.parametrize(
    ("length", "segments"),
    [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)],
)
def test_plan_segments_gsm7_length_gives_segment_count(length: int, segments: int) -> None:
    text = "a" * length

    plan = plan_segments(text)

    assert plan.encoding is Encoding.GSM7
    assert plan.units == length
    assert plan.segments == segments == len(plan.parts)
    assert "".join(plan.parts) == text


def test_plan_segments_161_gsm7_chars_splits_153_and_8() -> None:
    plan = plan_segments("x" * 161)

    assert [len(part) for part in plan.parts] == [153, 8]


@pytest.mark.parametrize(("count", "segments"), [(80, 1), (81, 2)])
def test_plan_segments_extension_chars_count_twice(count: int, segments: int) -> None:
    plan = plan_segments("€" * count)

    assert plan.encoding is Encoding.GSM7
    assert plan.units == 2 * count
    assert plan.segments == segments


def test_plan_segments_escape_straddling_153_moves_to_next_part() -> None:
    text = "a" * 152 + "€" + "b" * 10

    plan = plan_segments(text)

    assert plan.parts == ("a" * 152, "€" + "b" * 10)
    assert gsm7_septets(plan.parts[0]) == 152


def test_plan_segments_escape_ending_exactly_at_153_stays_in_part() -> None:
    text = "a" * 151 + "€" + "b" * 10

    plan = plan_segments(text)

    assert plan.parts == ("a" * 151 + "€", "b" * 10)


def test_plan_segments_gsm7_parts_never_exceed_153_septets() -> None:
    text = "a€" * 200

    plan = plan_segments(text)

    assert all(gsm7_septets(part) <= 153 for part in plan.parts)
    assert "".join(plan.parts) == text


@pytest.mark.parametrize(
    ("length", "segments"),
    [(70, 1), (71, 2), (134, 2), (135, 3)],
)
def test_plan_segments_ucs2_length_gives_segment_count(length: int, segments: int) -> None:
    text = "ж" * length

    plan = plan_segments(text)

    assert plan.encoding is Encoding.UCS2
    assert plan.units == length
    assert plan.segments == segments == len(plan.parts)
    assert "".join(plan.parts) == text


def test_plan_segments_71_ucs2_chars_splits_67_and_4() -> None:
    plan = plan_segments("ж" * 71)

    assert [len(part) for part in plan.parts] == [67, 4]


def test_plan_segments_emoji_counts_two_units() -> None:
    plan = plan_segments(EMOJI * 35)

    assert plan.encoding is Encoding.UCS2
    assert plan.units == 70
    assert plan.segments == 1


def test_plan_segments_emoji_straddling_67_moves_to_next_part() -> None:
    text = "ж" * 66 + EMOJI + "ж" * 10

    plan = plan_segments(text)

    assert plan.parts == ("ж" * 66, EMOJI + "ж" * 10)


def test_plan_segments_emoji_ending_exactly_at_67_stays_in_part() -> None:
    text = "ж" * 65 + EMOJI + "ж" * 10

    plan = plan_segments(text)

    assert plan.parts == ("ж" * 65 + EMOJI, "ж" * 10)


def test_plan_segments_surrogate_code_points_pair_is_not_split() -> None:
    # A str holding the pair as two code points, as decoding with "surrogatepass" leaves it.
    pair = "\ud83d\ude00"
    text = "ж" * 66 + pair + "ж" * 10

    plan = plan_segments(text)

    assert plan.parts == ("ж" * 66, pair + "ж" * 10)


def test_plan_segments_ucs2_parts_never_exceed_67_units() -> None:
    text = ("ж" + EMOJI) * 100

    plan = plan_segments(text)

    assert all(len(encode_ucs2(part)) // 2 <= 67 for part in plan.parts)
    assert "".join(plan.parts) == text


def test_plan_segments_force_unicode_on_ascii_uses_ucs2() -> None:
    plan = plan_segments("a" * 71, force_unicode=True)

    assert plan.encoding is Encoding.UCS2
    assert plan.units == 71
    assert plan.segments == 2


def test_plan_segments_lowercase_c_cedilla_uses_ucs2() -> None:
    assert plan_segments("Garçon").encoding is Encoding.UCS2


def test_plan_segments_capital_c_cedilla_stays_gsm7() -> None:
    assert plan_segments("ÇA VA").encoding is Encoding.GSM7


def test_plan_segments_one_non_gsm_char_moves_whole_text_to_ucs2() -> None:
    plan = plan_segments("a" * 100 + "ç")

    assert plan.encoding is Encoding.UCS2
    assert plan.segments == 2


def test_encode_gsm7_text_outside_alphabet_raises() -> None:
    with pytest.raises(ValueError, match="not GSM-7"):
        encode_gsm7("naïve")


def test_encode_gsm7_ascii_specials_map_to_their_septets() -> None:
    assert encode_gsm7("@$_") == bytes([0x00, 0x02, 0x11])


def test_gsm7_full_alphabet_round_trips() -> None:
    text = "".join(c for c in DEFAULT_ALPHABET if c is not None) + "".join(EXTENSION_TABLE)

    assert decode_gsm7(encode_gsm7(text)) == text


def test_decode_gsm7_unknown_escape_gives_base_char() -> None:
    assert decode_gsm7(bytes([0x41, 0x1B, 0x41, 0x42])) == "AAB"


def test_decode_gsm7_double_escape_gives_space() -> None:
    assert decode_gsm7(bytes([0x41, 0x1B, 0x1B, 0x42])) == "A B"


def test_decode_gsm7_trailing_escape_gives_space() -> None:
    assert decode_gsm7(bytes([0x41, 0x1B])) == "A "


def test_decode_gsm7_lone_escape_byte_in_plain_run_gives_space() -> None:
    assert decode_gsm7(bytes([0x1B])) == " "


def test_decode_gsm7_byte_above_7f_gives_replacement_char() -> None:
    assert decode_gsm7(bytes([0x41, 0x80, 0x1B, 0xFF])) == "A\ufffd\ufffd"


def test_decode_gsm7_empty_is_empty() -> None:
    assert decode_gsm7(b"") == ""


def test_encode_ucs2_emoji_is_surrogate_pair_big_endian() -> None:
    assert encode_ucs2("A" + EMOJI) == b"\x00A\xd8\x3d\xde\x00"


def test_ucs2_round_trips() -> None:
    text = "Привет, 世界! " + EMOJI + " ç€"

    assert decode_ucs2(encode_ucs2(text)) == text


def test_decode_ucs2_odd_length_gives_replacement_char() -> None:
    assert decode_ucs2(b"\x00A\x00") == "A\ufffd"


def test_decode_ucs2_lone_surrogate_gives_replacement_char() -> None:
    assert decode_ucs2(b"\xd8\x3d\x00A") == "\ufffdA"


ALPHABETS = {
    "ascii": "abcdefghijklmnopqrstuvwxyz ABCXYZ 0123456789.,!?",
    "gsm_extension": "€[]{}^~|\\\f",
    "gsm_latin": "@£$¥èéùìòÇØøÅåÆæßÉÄÖÑÜ§¿¡äöñüàΔΦΓΛΩΠΨΣΘΞ\n\r",
    "cyrillic": "абвгдежзийклмнопрстуфхцчшщ",
    "emoji": "😀🎉👍🏽🚀",
    "cjk": "世界你好日本語",
}


def units_in(part: str, encoding: Encoding) -> int:
    if encoding is Encoding.GSM7:
        return gsm7_septets(part)
    return len(encode_ucs2(part)) // 2


@pytest.mark.parametrize("seed", range(200))
def test_plan_segments_random_text_parts_rejoin_and_fit(seed: int) -> None:
    rng = random.Random(seed)
    mix = rng.sample(sorted(ALPHABETS), k=rng.randint(1, len(ALPHABETS)))
    pool = "".join(ALPHABETS[name] for name in mix)
    text = "".join(rng.choices(pool, k=rng.randint(0, 700)))

    plan = plan_segments(text, force_unicode=rng.random() < 0.1)

    assert "".join(plan.parts) == text
    assert plan.segments == len(plan.parts) >= 1
    assert plan.units == units_in(text, plan.encoding)
    single, multipart = (160, 153) if plan.encoding is Encoding.GSM7 else (70, 67)
    limit = single if plan.segments == 1 else multipart
    sizes = [units_in(part, plan.encoding) for part in plan.parts]
    assert all(size <= limit for size in sizes)
    # Greedy: a part falls short only when the next character would not fit.
    for size, following in zip(sizes, plan.parts[1:], strict=False):
        assert size + units_in(following[0], plan.encoding) > limit


@pytest.mark.parametrize("seed", range(50))
def test_gsm7_random_text_round_trips(seed: int) -> None:
    rng = random.Random(seed)
    pool = ALPHABETS["ascii"] + ALPHABETS["gsm_extension"] + ALPHABETS["gsm_latin"]
    text = "".join(rng.choices(pool, k=rng.randint(0, 400)))

    assert decode_gsm7(encode_gsm7(text)) == text


@pytest.mark.parametrize("seed", range(50))
def test_ucs2_random_text_round_trips(seed: int) -> None:
    rng = random.Random(seed)
    pool = "".join(ALPHABETS.values())
    text = "".join(rng.choices(pool, k=rng.randint(0, 400)))

    assert decode_ucs2(encode_ucs2(text)) == text
