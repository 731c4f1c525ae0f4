"""Property tests: phone rules, ASCII transliteration, SMS template rendering, error_info parsing.

Each property runs a bounded number of examples (the file takes a few seconds); every one of
them also says "hostile input never raises anything but the documented error".
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from urllib.parse import quote, quote_plus

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from esms.callbacks import parse_callback, parse_error_info
from esms.sms_templates import CSKH_PART_LIMITS, SmsTemplate, is_ascii_text, sms_parts, to_ascii
from zns.campaign.fallback import render_sms
from zns.phones import (
    MOBILE_PREFIXES,
    PREFIX_2018,
    PhoneError,
    is_valid_mobile,
    normalize_phone,
    telco_id,
    to_international,
)

BOUNDED = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---------------------------------------------------------------------------------------- phones

local_mobiles = st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from(sorted(MOBILE_PREFIXES)),
    st.text(alphabet="0123456789", min_size=7, max_size=7),
)
# Separators the phone rules strip anywhere (dots are left out: "09123456.00" reads as a float).
separators = st.text(alphabet=" -()/_\u00a0\u200b\ufeff\t", max_size=2)


def _accepts(value: object) -> str | None:
    """normalize_phone, with its one documented failure turned into None."""
    try:
        return normalize_phone(value)
    except PhoneError as exc:
        assert exc.code in {"MISSING_PHONE", "BAD_PHONE", "LANDLINE"}
        assert "\n" not in str(exc)
        return None


@BOUNDED
@given(st.one_of(
    st.text(max_size=30),
    st.text(alphabet="0123456789+ .-()'eE,", max_size=20),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.none(),
    st.booleans(),
))
def test_any_value_is_a_mobile_or_a_phone_error(value: object) -> None:
    phone = _accepts(value)
    if phone is not None:
        assert re.fullmatch(r"0[0-9]{9}", phone) and phone.isascii()
        assert is_valid_mobile(phone) and telco_id(phone) == MOBILE_PREFIXES[phone[:3]]
        assert normalize_phone(phone) == phone  # idempotent
        assert to_international(phone) == "84" + phone[1:]


@BOUNDED
@given(local_mobiles, st.lists(separators, min_size=10, max_size=10))
def test_written_forms_of_one_number_agree(phone: str, seps: list[str]) -> None:
    rest = phone[1:]
    spaced = "".join(d + s for d, s in zip(phone, seps, strict=True))
    forms: list[object] = [
        phone, spaced, "+84" + rest, "84" + rest, "0084" + rest, "+84 (0) " + rest, "'" + phone,
        "\u2019+84" + rest, int(rest), float(rest), f"{float(rest):.8E}", rest + ".0",
    ]
    for form in forms:
        assert normalize_phone(form) == phone, form


@BOUNDED
@given(st.sampled_from(sorted(PREFIX_2018)), st.text(alphabet="0123456789", min_size=7, max_size=7),
       st.sampled_from(["", "+84", "84", "0084"]))
def test_old_eleven_digit_numbers_are_converted(old: str, rest: str, country: str) -> None:
    written = (country + old[1:] if country else old) + rest
    assert normalize_phone(written) == PREFIX_2018[old] + rest
    assert normalize_phone(int(old[1:] + rest)) == PREFIX_2018[old] + rest  # Excel lost the 0


@BOUNDED
@given(st.text(alphabet="0123456789", min_size=1, max_size=14))
def test_digit_strings_are_accepted_only_as_ten_digit_mobiles(digits: str) -> None:
    phone = _accepts(digits)
    if phone is not None:
        assert phone[-7:] == digits[-7:]  # only prefixes change, never the subscriber digits


# ------------------------------------------------------------------------------ transliteration

VIETNAMESE = {
    "a": "aàáảãạăằắẳẵặâầấẩẫậ", "e": "eèéẻẽẹêềếểễệ", "i": "iìíỉĩị", "o": "oòóỏõọôồốổỗộơờớởỡợ",
    "u": "uùúủũụưừứửữự", "y": "yỳýỷỹỵ", "d": "dđ",
}
VIETNAMESE_LETTERS = "".join(VIETNAMESE.values())
BASE_OF = {ch: base for base, letters in VIETNAMESE.items() for ch in letters}
BASE_OF |= {ch.upper(): base.upper() for ch, base in list(BASE_OF.items())}
vietnamese_text = st.text(alphabet=VIETNAMESE_LETTERS + VIETNAMESE_LETTERS.upper() + " ,.!0123456789",
                          max_size=60)


@BOUNDED
@given(st.text(max_size=80))
def test_to_ascii_output_is_ascii_and_idempotent(text: str) -> None:
    out = to_ascii(text)
    assert out.isascii()
    assert to_ascii(out) == out
    if text.isascii():
        assert out == text
    printable = "".join(ch for ch in text if ch.isprintable())
    assert is_ascii_text(to_ascii(printable))


@BOUNDED
@given(vietnamese_text)
def test_vietnamese_letters_map_to_their_base_letters(text: str) -> None:
    out = to_ascii(text)
    assert len(out) == len(text)  # one letter for one letter: SMS lengths are counted after this
    assert out == "".join(BASE_OF.get(ch, ch) for ch in text)
    assert to_ascii(unicodedata.normalize("NFD", text)) == out  # decomposed input too


def test_d_with_stroke() -> None:
    assert to_ascii("đĐ Đặng Đức đẹp") == "dD Dang Duc dep"


@BOUNDED
@given(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x2FF), max_size=500))
def test_is_ascii_text_and_sms_parts(text: str) -> None:
    if is_ascii_text(text):
        assert text.isascii() and all(ch == "\n" or " " <= ch <= "~" for ch in text)
    parts = sms_parts(text)
    assert parts in (0, 1, 2, 3)
    if parts == 0:
        assert len(text) > CSKH_PART_LIMITS[-1]
    else:
        assert len(text) <= CSKH_PART_LIMITS[parts - 1]
        assert parts == 1 or len(text) > CSKH_PART_LIMITS[parts - 2]


# ------------------------------------------------------------------------ SMS template rendering

literal = st.text(alphabet="abcdeXYZ .,:!-0123456789()[]*+?$^|\\", max_size=12)


@st.composite
def templates(draw: st.DrawFn) -> SmsTemplate:
    """A CSKH template: literal text around 1-4 `{Pn,limit}` placeholders (a name may repeat)."""
    count = draw(st.integers(1, 4))
    limits = {f"P{i}": draw(st.integers(1, 40)) for i in range(1, count + 1)}
    parts = [draw(literal)]
    for _ in range(draw(st.integers(1, 5))):
        name = draw(st.sampled_from(sorted(limits)))
        parts += [f"{{{name},{limits[name]}}}", draw(literal)]
    return SmsTemplate("1", "BRAND", "".join(parts))


printable_ascii = st.characters(min_codepoint=0x20, max_codepoint=0x7E)


@BOUNDED
@given(templates(), st.data())
def test_values_within_limits_render_a_text_that_matches(template: SmsTemplate, data: st.DataObject) -> None:
    values = {}
    for var in template.variables:
        assert var.max_length is not None
        core = data.draw(st.text(alphabet=printable_ascii, min_size=1, max_size=var.max_length)
                         .filter(lambda s: s.strip() == s and s))
        values[var.name] = core
    text, problem = render_sms(template, values)
    rendered = template.render(values)
    if sms_parts(rendered) == 0:
        assert (text, problem) == (None, "SMS_TOO_LONG")
        return
    assert problem is None and text == rendered
    assert template.matches(text) and is_ascii_text(text)


@BOUNDED
@given(templates(), st.data())
def test_vietnamese_values_render_transliterated(template: SmsTemplate, data: st.DataObject) -> None:
    values = {}
    for var in template.variables:
        assert var.max_length is not None
        values[var.name] = data.draw(
            st.text(alphabet=VIETNAMESE_LETTERS + "abc", min_size=1, max_size=var.max_length))
    text, problem = render_sms(template, values)
    if problem is None:
        assert text == template.render({k: to_ascii(v) for k, v in values.items()})
        assert template.matches(text)
    else:
        assert problem == "SMS_TOO_LONG"


@BOUNDED
@given(templates(), st.data())
def test_over_long_values_are_refused_never_cut(template: SmsTemplate, data: st.DataObject) -> None:
    var = data.draw(st.sampled_from(template.variables))
    assert var.max_length is not None
    values = {v.name: "x" for v in template.variables}
    values[var.name] = data.draw(st.text(alphabet="abcdé ", min_size=1).map(
        lambda s: "v" + s + "w" * var.max_length))
    assert render_sms(template, values) == (None, "SMS_TOO_LONG")


@BOUNDED
@given(templates(), st.dictionaries(st.sampled_from(["P1", "P2", "P3", "P4", "P5"]), st.text(max_size=60)))
def test_random_values_never_raise_and_never_give_a_wrong_text(
    template: SmsTemplate, values: dict[str, str]
) -> None:
    text, problem = render_sms(template, values)
    if text is None:
        assert problem in {"SMS_MISSING_PARAM", "SMS_TOO_LONG", "SMS_TEMPLATE_MISMATCH"}
        return
    assert problem is None and is_ascii_text(text) and sms_parts(text) > 0
    assert template.matches(text)
    clean = {v.name: to_ascii(values[v.name]).strip() for v in template.variables}
    assert text == template.render(clean)
    assert all(v.max_length is None or len(clean[v.name]) <= v.max_length for v in template.variables)


content_pieces = st.sampled_from(
    ["{P1,", "{ P2 :", "{P1}", "{", "}", ",", "0", "7", "99999999999", " ", "a", "\\", "."])


@BOUNDED
@given(st.lists(content_pieces, max_size=12).map("".join), st.text(max_size=30))
def test_any_template_content_matches_without_raising(content: str, text: str) -> None:
    template = SmsTemplate("1", "BRAND", content)
    assert isinstance(template.matches(text), bool)
    assert isinstance(render_sms(template, {v.name: "a" for v in template.variables}), tuple)


# ----------------------------------------------------------------------------------- error_info

codes = st.integers(min_value=-10_000, max_value=10_000)
messages = st.text(alphabet=st.characters(blacklist_characters="%", blacklist_categories=("Cs",)),
                   max_size=40)
suffixes = st.builds(
    lambda d, m, y, hh, mm, ss: f"____{d:02d}/{m:02d}/{y} {hh:02d}:{mm:02d}:{ss:02d}",
    st.integers(1, 28), st.integers(1, 12), st.integers(2000, 2099), st.integers(0, 23),
    st.integers(0, 59), st.integers(0, 59),
)


def _valid(result: object) -> tuple[int | None, str | None]:
    assert isinstance(result, tuple) and len(result) == 2
    code, message = result
    assert code is None or type(code) is int
    assert message is None or isinstance(message, str)
    return code, message


@BOUNDED
@given(st.one_of(st.none(), st.text(max_size=60),
                 st.text(alphabet='{}[]":,-0123456789%eE.+ _/\'\\errormessage', max_size=60)))
def test_error_info_never_raises(raw: str | None) -> None:
    _valid(parse_error_info(raw))
    _valid((parse_callback({"error_info": raw or "", "sendstatus": raw or ""}).zalo_error, None))


@BOUNDED
@given(codes, messages, st.sampled_from(["plain", "once", "once+", "twice", "quoted", "string"]),
       st.one_of(st.none(), suffixes))
def test_error_info_encodings_give_the_same_code_and_message(
    code: int, message: str, how: str, suffix: str | None
) -> None:
    body = json.dumps({"error": code, "message": message}, ensure_ascii=how != "plain")
    raw = {
        "plain": body,
        "once": quote(body, safe=""),
        "once+": quote_plus(body),
        "twice": quote(quote(body, safe=""), safe=""),
        "quoted": f"'{body}'",
        "string": json.dumps(body),  # the JSON text sent as a JSON string
    }[how]
    if suffix:
        raw += quote(suffix, safe="") if how in ("once", "twice") else suffix
    got_code, got_message = _valid(parse_error_info(raw))
    assert got_code == code
    assert got_message == message


@BOUNDED
@given(codes, st.sampled_from(['{c}', '"{c}"', "'{c}'", " {c} ", '{{"error":{c}}}', '{{"error":"{c}"}}',
                               '%7B%22error%22%3A{c}%7D', '{{"error": {c}, "message": 1}}']),
       st.one_of(st.none(), suffixes))
def test_error_info_codes_in_every_shape(code: int, shape: str, suffix: str | None) -> None:
    raw = shape.format(c=code) + (suffix or "")
    got_code, _ = _valid(parse_error_info(raw))
    assert got_code == code


def test_error_info_hostile_shapes() -> None:
    for raw in ("9" * 5000, '{"error": 1e400}', '{"error": Infinity}', '{"error": NaN}',
                "[" * 100_000, '"' * 10_001, '{"error": ' + "9" * 5000 + "}", '{"error": [1]}',
                "_" * 20_000 + "x", '{"message": {"a": 1}}', "%" * 1000, "%25" * 1000):
        _valid(parse_error_info(raw))
    assert parse_error_info('{"error": -118, "message": null}') == (-118, None)


def test_error_info_long_underscore_run_takes_linear_time() -> None:
    started = time.perf_counter()
    assert parse_error_info("_" * 200_000 + "x") == (None, "_" * 200_000 + "x")
    assert parse_error_info('{"error": -118}' + "_" * 50_000 + "01/12/2026 10:11:12") == (-118, None)
    assert time.perf_counter() - started < 1.0  # was quadratic: ~4 s for 20,000 underscores


def test_degenerate_template_limits() -> None:
    assert not SmsTemplate("1", "B", "{P1,0} x").matches("a x")
    assert render_sms(SmsTemplate("1", "B", "{P1,0} x"), {"P1": "a"}) == (None, "SMS_TOO_LONG")
    assert SmsTemplate("1", "B", "{P1,99999999999} x").matches("a x")
