"""Numbers, amounts and dates read out in Polish, English and French: the fragment sequence."""

import itertools

import pytest

from firmware.ivr.fragments import FRAGMENTS
from firmware.ivr.numbers import SayError, say_amount, say_date, say_digits, say_number
from firmware.ivr.prompts import SHIPPED, PromptLibrary
from firmware.store.models import Currency, Language

PL, EN, FR = Language.PL, Language.EN, Language.FR


def words(fragments: list[str]) -> str:
    """The sequence as the words the fragments speak, which is what a reviewer can check."""
    out = []
    for fragment in fragments:
        lang, word = fragment.split("/")
        out.append(FRAGMENTS[Language(lang)][word])
    return " ".join(out)


@pytest.mark.parametrize(
    ("n", "spoken"),
    [
        (0, "zero"),
        (1, "jeden"),
        (12, "dwanaście"),
        (21, "dwadzieścia jeden"),
        (101, "sto jeden"),
        (245, "dwieście czterdzieści pięć"),
        (1000, "tysiąc"),
        (2000, "dwa tysiące"),
        (5000, "pięć tysięcy"),
        (12000, "dwanaście tysięcy"),
        (22000, "dwadzieścia dwa tysiące"),
        (1_001_000, "milion tysiąc"),
        (3_500_000, "trzy miliony pięćset tysięcy"),
        (-7, "minus siedem"),
    ],
)
def test_polish_numbers_use_the_three_plural_forms(n: int, spoken: str):
    assert words(say_number(n, PL)) == spoken


@pytest.mark.parametrize(
    ("amount", "spoken"),
    [
        ("1", "jeden złoty"),
        ("2.02", "dwa złote dwa grosze"),
        ("5.01", "pięć złotych jeden grosz"),
        ("12", "dwanaście złotych"),
        ("22.50", "dwadzieścia dwa złote pięćdziesiąt groszy"),
        ("0.15", "piętnaście groszy"),
        ("1000000", "milion złotych"),
    ],
)
def test_polish_amounts_agree_with_their_numbers(amount: str, spoken: str):
    assert words(say_amount(amount, Currency.PLN, PL)) == spoken


@pytest.mark.parametrize(
    ("n", "spoken"),
    [
        (0, "zero"),
        (15, "fifteen"),
        (40, "forty"),
        (105, "one hundred five"),
        (1999, "one thousand nine hundred ninety nine"),
        (2_000_013, "two million thirteen"),
    ],
)
def test_english_numbers(n: int, spoken: str):
    assert words(say_number(n, EN)) == spoken


def test_english_amounts_are_singular_only_for_one():
    assert words(say_amount("1.01", Currency.EUR, EN)) == "one euro and one cent"
    assert words(say_amount("21,50", Currency.EUR, EN)) == "twenty one euros and fifty cents"
    assert words(say_amount("3", Currency.PLN, EN)) == "three zlotys"


@pytest.mark.parametrize(
    ("n", "spoken"),
    [
        (21, "vingt et un"),
        (71, "soixante et onze"),
        (75, "soixante quinze"),
        (80, "quatre-vingts"),
        (81, "quatre-vingt un"),
        (97, "quatre-vingt dix-sept"),
        (200, "deux cents"),
        (201, "deux cent un"),
        (1000, "mille"),
        (80_000, "quatre-vingt mille"),
        (200_000, "deux cent mille"),
        (2_000_000, "deux millions"),
    ],
)
def test_french_numbers(n: int, spoken: str):
    assert words(say_number(n, FR)) == spoken


def test_french_amounts():
    assert words(say_amount("2.50", Currency.EUR, FR)) == "deux euros et cinquante centimes"
    assert words(say_amount("1", Currency.EUR, FR)) == "un euro"
    assert words(say_amount("1000000", Currency.EUR, FR)) == "un million d'euros"


def test_dates_in_each_language():
    assert words(say_date("2026-03-21", PL)) == (
        "dwudziestego pierwszego marca dwa tysiące dwudziestego szóstego roku"
    )
    assert words(say_date("2000-05-01", PL)) == "pierwszego maja dwutysięcznego roku"
    assert words(say_date("1987-11-30", PL)) == (
        "trzydziestego listopada tysiąc dziewięćset osiemdziesiątego siódmego roku"
    )
    assert words(say_date("2026-03-21", EN)) == "March twenty first two thousand twenty six"
    assert words(say_date("2026-07-01", FR)) == "le premier juillet deux mille vingt six"
    assert words(say_date("2026-07-21", FR)) == "le vingt et un juillet deux mille vingt six"


def test_digits_are_read_one_by_one():
    assert say_digits("0 48", EN) == ["en/0", "en/4", "en/8"]


@pytest.mark.parametrize("bad", ["12a", "", "1e3", "1000000000"])
def test_values_that_cannot_be_said_are_refused(bad: str):
    with pytest.raises(SayError):
        say_number(bad, PL)


def test_every_fragment_the_grammar_can_name_is_shipped_and_loads():
    library = PromptLibrary()
    needed: set[str] = set()
    for lang in Language:
        for n in itertools.chain(range(0, 1200), range(1000, 1_000_000, 997), [10**6, 2 * 10**6]):
            needed.update(say_number(n, lang))
        for cents in range(0, 300, 7):
            for currency in Currency:
                needed.update(say_amount(f"{cents}.{cents % 100:02d}", currency, lang))
                needed.update(say_amount("1000000", currency, lang))
        for month, day in itertools.product(range(1, 13), (1, 2, 13, 20, 21, 28)):
            for year in (1987, 2000, 2026, 2099):
                needed.update(say_date(f"{year}-01-30", lang) + say_date(f"{year}-01-31", lang))
                needed.update(say_date(f"{year}-{month:02d}-{day:02d}", lang))
    for fragment in sorted(needed):
        assert (SHIPPED / f"{fragment}.wav").is_file(), fragment
    assert library.get("pl/1000-few").size > 800  # a real word, not silence
