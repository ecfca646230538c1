from __future__ import annotations

import pytest

from strongroom.identity.passwords import hash_password, verify_password

pytestmark = pytest.mark.unit


def test_a_hash_verifies_its_password_only() -> None:
    stored = hash_password("correct horse")
    assert verify_password("correct horse", stored)
    assert not verify_password("correct horsE", stored)
    assert not verify_password("", stored)


def test_the_stored_string_carries_parameters_and_a_random_salt() -> None:
    first, second = hash_password("same"), hash_password("same")
    assert first != second
    scheme, log2_n, r, p, _salt, _digest = first.split("$")
    assert (scheme, log2_n, r, p) == ("scrypt", "14", "8", "1")
    assert "same" not in first


@pytest.mark.parametrize(
    "stored",
    ["", "plain", "scrypt$14$8$1$!!$!!", "md5$14$8$1$AAAA$AAAA", "scrypt$99$8$1$AAAA$AAAA"],
)
def test_a_malformed_stored_value_never_verifies(stored: str) -> None:
    assert not verify_password("anything", stored)


def test_unicode_passwords_work() -> None:
    assert verify_password("pässwörd✓", hash_password("pässwörd✓"))
