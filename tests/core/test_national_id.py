"""Resident ID numbers: validation, derived sex and birth date, masking, keyed hash, encryption."""

import datetime

import pytest

from checkup.core import national_id
from tests.factories import national_id_for

SAMPLE = "11010519491231002X"  # the published GB 11643 example: born 1949-12-31, female, check digit X


def test_sample_number_is_valid_with_an_x_check_digit():
    assert national_id.check_digit(SAMPLE[:17]) == "X"
    assert national_id.problem(SAMPLE) is None
    assert national_id.birth_date(SAMPLE) == datetime.date(1949, 12, 31)
    assert national_id.sex(SAMPLE) == "female"


def test_lower_case_x_and_spaces_are_normalized():
    assert national_id.normalize(" 110105 19491231 002x ") == SAMPLE
    assert national_id.problem("11010519491231002x") is None


@pytest.mark.parametrize(
    "born,sex",
    [
        (datetime.date(1990, 2, 3), "male"),
        (datetime.date(2000, 2, 29), "female"),
        (datetime.date(1900, 1, 1), "male"),
    ],
)
def test_numbers_built_from_a_birth_date_and_sex_validate(born, sex):
    number = national_id_for(born, sex)
    assert national_id.problem(number) is None
    assert national_id.birth_date(number) == born and national_id.sex(number) == sex


def test_every_check_digit_value_is_reachable():
    digits = {national_id.check_digit(f"1101051990010100{n}") for n in range(10)}
    digits |= {national_id.check_digit(f"110105199001010{n}1") for n in range(10)}
    assert "X" in digits and len(digits) > 5


def test_a_wrong_check_digit_is_a_checksum_problem():
    number = national_id_for(datetime.date(1990, 2, 3), "male")
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    assert national_id.problem(wrong) == "checksum"


def test_a_single_mistyped_digit_is_caught():
    number = national_id_for(datetime.date(1990, 2, 3), "male")
    typo = number[:3] + str((int(number[3]) + 1) % 10) + number[4:]
    assert national_id.problem(typo) == "checksum"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "1234",
        "11010519491231002",
        "110105194912310029X",
        "X10105194912310029",
        "1101051949123100AX",
        "11010519491231002Y",
    ],
)
def test_malformed_numbers_are_a_format_problem(value):
    assert national_id.problem(value) == "format"


@pytest.mark.parametrize("date_part", ["19900230", "19901301", "19900001", "20230229"])
def test_impossible_birth_dates_are_a_birth_date_problem(date_part):
    first17 = f"110105{date_part}123"
    assert national_id.problem(first17 + national_id.check_digit(first17)) == "birth_date"


def test_seventeenth_digit_gives_the_sex():
    first = "11010519900203001"
    assert national_id.sex(first + national_id.check_digit(first)) == "male"
    second = "11010519900203002"
    assert national_id.sex(second + national_id.check_digit(second)) == "female"


def test_mask_keeps_region_and_last_two_characters_only():
    assert national_id.mask(SAMPLE) == "110105**********2X"
    assert national_id.mask("1234") == "****"
    assert "19491231" not in national_id.mask(SAMPLE)


def test_lookup_hash_is_stable_normalized_and_not_the_number(app):
    first = national_id.lookup_hash(SAMPLE)
    assert first == national_id.lookup_hash(SAMPLE) == national_id.lookup_hash(SAMPLE.lower())
    assert len(first) == 64 and SAMPLE not in first and first != national_id.lookup_hash(SAMPLE[:17] + "1")


def test_lookup_hash_depends_on_the_key(app):
    first = national_id.lookup_hash(SAMPLE)
    app.config["NATIONAL_ID_KEY"] = "another-key"
    assert national_id.lookup_hash(SAMPLE) != first


def test_encrypt_decrypt_roundtrip_and_ciphertext_hides_the_number(app):
    cipher = national_id.encrypt(SAMPLE)
    assert SAMPLE not in cipher and "19491231" not in cipher
    assert national_id.decrypt(cipher) == SAMPLE
    assert national_id.encrypt(SAMPLE) != cipher  # random IV: equal numbers give different ciphertexts
    assert national_id.masked_from_cipher(cipher) == "110105**********2X"


def test_decrypt_with_another_key_or_garbage_gives_nothing(app):
    cipher = national_id.encrypt(SAMPLE)
    assert national_id.decrypt("not a token") == "" and national_id.decrypt(None) == ""
    app.config["NATIONAL_ID_KEY"] = "another-key"
    assert national_id.decrypt(cipher) == ""
    assert national_id.masked_from_cipher(None) == ""


def test_full_width_digits_from_an_input_method_mean_the_same_number():
    number = national_id_for(datetime.date(1990, 2, 3), "male")
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in number)
    assert national_id.problem(full_width) is None
    assert national_id.normalize(full_width) == number
