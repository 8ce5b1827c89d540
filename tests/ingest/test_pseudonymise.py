"""Person tokens: keyed, stable, and forgiving exactly the variants identity resolution needs."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from pipelines import pseudonymise as p

KEY = b"k" * 32


def test_snils_token_is_hmac_of_the_eleven_digits_and_none_when_the_check_fails():
    nine = "112233445"
    snils = f"112-233-445 {p.snils_check(nine)}"
    expected = hmac.new(KEY, (nine + p.snils_check(nine)).encode(), hashlib.sha256).hexdigest()
    assert p.snils_token(snils, KEY) == expected
    assert p.snils_token(snils.replace(" ", ""), KEY) == expected
    wrong = snils[:-2] + f"{(int(snils[-2:]) + 1) % 100:02d}"
    assert p.snils_token(wrong, KEY) is None
    assert p.snils_token("", KEY) is None and p.snils_token("123", KEY) is None


def test_snils_check_digits_follow_the_rule_for_100_and_101():
    assert p.snils_check("001001999")  # any result is two digits
    assert all(len(p.snils_check(f"{n:09d}")) == 2 for n in range(1001999, 1002999))


def test_tokens_depend_on_the_key():
    d = dt.date(2012, 3, 4)
    assert p.name_dob_token("Доржиев", "Баир", "", d, KEY) != p.name_dob_token(
        "Доржиев", "Баир", "", d, b"x" * 32
    )


def test_swapped_token_equals_the_token_of_the_swapped_date():
    a = p.person_tokens("Иванов", "Иван", "Иванович", dt.date(2012, 3, 4), KEY)
    b = p.person_tokens("Иванов", "Иван", "Иванович", dt.date(2012, 4, 3), KEY)
    assert a["name_dob_swapped_token"] == b["name_dob_token"]
    assert a["fuzzy_name_dob_swapped_token"] == b["fuzzy_name_dob_token"]
    same = p.person_tokens("Иванов", "Иван", "", dt.date(2012, 5, 5), KEY)
    late = p.person_tokens("Иванов", "Иван", "", dt.date(2012, 5, 25), KEY)
    assert same["name_dob_swapped_token"] is None and late["name_dob_swapped_token"] is None


def test_fuzzy_tokens_forgive_buryat_letters_yo_and_doubled_letters():
    d = dt.date(2011, 1, 2)
    variants = [("Сэсэг", "Цырен"), ("Сесег", "Цырэн"), ("СЭСЭГ", "ЦЫРЭН")]
    tokens = {p.person_tokens(last, first, None, d, KEY)["fuzzy_name_dob_token"] for last, first in variants}
    assert len(tokens) == 1
    assert p.fuzzy_name("Түмэн") == p.fuzzy_name("Тумен")
    assert p.fuzzy_name("Өлзий-Һоён") == p.fuzzy_name("олзиихоен")
    assert p.fuzzy_name("Аннна", "Алексеевна") == p.fuzzy_name("Ана", "Алексевна")
    assert p.fuzzy_name("Фёдор", "Ильич") == p.fuzzy_name("федор", "илич")


def test_exact_token_differs_for_spelling_variants_but_not_for_case_or_spaces():
    d = dt.date(2011, 1, 2)
    assert p.name_dob_token(" ИВАНОВ ", "иван", None, d, KEY) == p.name_dob_token(
        "Иванов", "Иван", "", d, KEY
    )
    assert p.name_dob_token("Дашиев", "Баир", None, d, KEY) != p.name_dob_token(
        "Дашеев", "Баир", None, d, KEY
    )


def test_first_last_token_ignores_the_patronymic():
    d = dt.date(2011, 1, 2)
    a = p.person_tokens("Балданов", "Аюр", "Баирович", d, KEY)
    b = p.person_tokens("Балданов", "Аюр", None, d, KEY)
    assert a["fuzzy_first_last_dob_token"] == b["fuzzy_first_last_dob_token"]
    assert a["name_dob_token"] != b["name_dob_token"]


def test_documents_are_normalised_before_hashing():
    assert p.document_token("IV-АЖ 123456", KEY) == p.document_token("iv-аж123456", KEY)
