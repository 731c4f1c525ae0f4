"""The one result-code table covers every code the provider documents (docs/esms-api.md §5), each with a class."""

from __future__ import annotations

import pytest

from esms.codes import ESMS_CODES, ZALO_CODES, ResultClass, esms_code, zalo_code

# Every code the provider tables list, as read on 2026-11-24 (summarised in docs/esms-api.md §5):
# the repository is self-contained, so the list lives here rather than in a file beside it.
ESMS_DOCUMENTED = (
    "99 100 101 102 103 104 105 106 107 108 110 115 117 118 120 124 140 143 146 160 163 171 177 199 "
    "201 204 210 300 301 687 788 789 790 791 799 801 802 851 852 853 854 1001"
).split()
ZALO_DOCUMENTED = [0, *range(-100, -113, -1), -113, -114, -115, -116, -117, -118, -119, -120, -121, -123,
                   -124, -125, -131, -133, -134, -135, -137, -138, -139, -140, -141, -144, -145, -146, -147,
                   *range(-148, -153, -1), -153]


def test_every_documented_code_is_in_the_table() -> None:
    assert not [c for c in ESMS_DOCUMENTED if c not in ESMS_CODES]
    assert not [c for c in ZALO_DOCUMENTED if c not in ZALO_CODES]


@pytest.mark.parametrize(
    ("code", "cls"),
    [("100", ResultClass.ACCEPTED), ("101", ResultClass.CONFIG), ("103", ResultClass.CONFIG),
     ("104", ResultClass.CONFIG), ("789", ResultClass.CONFIG), ("790", ResultClass.CONFIG),
     ("799", ResultClass.CONFIG), ("160", ResultClass.TRANSIENT), ("108", ResultClass.PERMANENT),
     ("124", ResultClass.ACCEPTED)],
)
def test_design_classes_of_esms_codes(code: str, cls: ResultClass) -> None:
    assert esms_code(code).result_class is cls


@pytest.mark.parametrize("code", ["-118", "-114", "-139", "1001", -110])
def test_no_zalo_inactive_refused_not_online_fall_back_to_sms(code: str | int) -> None:
    assert zalo_code(code).result_class is ResultClass.FALLBACK


def test_unknown_codes_are_permanent_and_labelled() -> None:
    assert esms_code("4242").result_class is ResultClass.PERMANENT
    assert zalo_code("-9999").result_class is ResultClass.PERMANENT
    assert zalo_code("garbage").result_class is ResultClass.PERMANENT
    assert all(info.vi and info.en for info in [*ESMS_CODES.values(), *ZALO_CODES.values()])
