"""Numbers, amounts and dates as sequences of spoken fragments, in Polish, English and French.

Each function returns prompt names of the shipped fragment library
(``ivr/prompts/<lang>/<word>.wav``, see :data:`FRAGMENTS`); the session plays
them one after another. The grammar is the point here, so it is spelled out per
language rather than shared:

- Polish nouns after a number take one of three forms: 1 (jeden tysiąc ->
  "tysiąc"), 2-4 except 12-14 ("dwa tysiące", "dwadzieścia trzy złote"), and
  everything else ("pięć tysięcy", "dwanaście złotych"). Dates use genitive
  ordinals ("dwudziestego pierwszego marca dwa tysiące dwudziestego szóstego
  roku").
- English: US style without "and" inside numbers ("one hundred five"); the
  noun is singular only for exactly 1; dates as "March twenty first, two
  thousand twenty six".
- French: 21, 31 … 71 take "et" ("vingt et un", "soixante et onze"), 70-99 are
  built on soixante and quatre-vingt; "cent" and "quatre-vingt" take an s when
  multiplied and last, but not before "mille" ("deux cents", "deux cent mille");
  "mille" is never preceded by "un" and never plural; "un million d'euros".
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Callable

from firmware.store.models import Currency, Language

MAX_NUMBER = 999_999_999


class SayError(ValueError):
    """A value that cannot be read out (not a number, out of range, not a date)."""


def _prefixed(lang: Language, words: list[str]) -> list[str]:
    return [f"{lang.value}/{word}" for word in words]


# -- Polish ---------------------------------------------------------------------------------


def _pl_form(n: int) -> str:
    """The Polish plural class of a count: "1", "few" (2-4 except 12-14) or "many"."""
    if n == 1:
        return "1"
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return "few"
    return "many"


def _pl_group(n: int) -> list[str]:
    """1..999 in Polish: hundreds, tens and units each have their own word."""
    words: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        words.append(str(hundreds * 100))
    if 10 <= rest <= 19:
        words.append(str(rest))
    else:
        tens, units = divmod(rest, 10)
        if tens:
            words.append(str(tens * 10))
        if units:
            words.append(str(units))
    return words


def _pl_number(n: int) -> list[str]:
    if n == 0:
        return ["0"]
    millions, rest = divmod(n, 1_000_000)
    thousands, units = divmod(rest, 1000)
    words: list[str] = []
    for count, noun in ((millions, "million"), (thousands, "1000")):
        if count == 1:
            words.append(f"{noun}-1")  # "milion", "tysiąc": no "jeden"
        elif count:
            words += _pl_group(count) + [f"{noun}-{_pl_form(count)}"]
    if units:
        words += _pl_group(units)
    return words


def _pl_ordinal(n: int) -> list[str]:
    """1..99 as a genitive ordinal ("dwudziestego pierwszego")."""
    if n < 20:
        return [f"ord-{n}"]
    tens, units = divmod(n, 10)
    return [f"ord-{tens * 10}"] + ([f"ord-{units}"] if units else [])


def _pl_date(day: datetime.date) -> list[str]:
    year = day.year
    head, tail = divmod(year, 100)
    if year == 2000:
        year_words = ["ord-2000"]
    elif tail == 0:
        year_words = _pl_number(year)  # rare round years are read as cardinals
    else:
        year_words = _pl_number(head * 100) + _pl_ordinal(tail)
    return _pl_ordinal(day.day) + [f"month-{day.month}"] + year_words + ["year"]


# -- English --------------------------------------------------------------------------------


def _en_group(n: int) -> list[str]:
    words: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        words += [str(hundreds), "hundred"]
    if rest and rest < 20:
        words.append(str(rest))
    elif rest:
        tens, units = divmod(rest, 10)
        words.append(str(tens * 10))
        if units:
            words.append(str(units))
    return words


def _en_number(n: int) -> list[str]:
    if n == 0:
        return ["0"]
    millions, rest = divmod(n, 1_000_000)
    thousands, units = divmod(rest, 1000)
    words: list[str] = []
    if millions:
        words += _en_group(millions) + ["million"]
    if thousands:
        words += _en_group(thousands) + ["thousand"]
    return words + _en_group(units)


def _en_date(day: datetime.date) -> list[str]:
    tens, units = divmod(day.day, 10)
    simple = day.day < 20 or units == 0
    ordinal = [f"ord-{day.day}"] if simple else [str(tens * 10), f"ord-{units}"]
    return [f"month-{day.month}"] + ordinal + _en_number(day.year)


# -- French ---------------------------------------------------------------------------------


def _fr_below_100(n: int, last: bool) -> list[str]:
    """1..99; ``last`` when nothing follows, so "quatre-vingts" keeps its s."""
    if n <= 19:
        return [str(n)]
    if n < 70:
        tens, units = divmod(n, 10)
        if units == 0:
            return [str(tens * 10)]
        if units == 1:
            return [str(tens * 10), "et", "1"]
        return [str(tens * 10), str(units)]
    if n < 80:
        if n == 71:
            return ["60", "et", "11"]
        return ["60", str(n - 60)]
    if n == 80:
        return ["80s" if last else "80"]
    return ["80", str(n - 80)]


def _fr_group(n: int, before_mille: bool) -> list[str]:
    """1..999; the s of "cents"/"quatre-vingts" is dropped before "mille"."""
    hundreds, rest = divmod(n, 100)
    words: list[str] = []
    if hundreds:
        if hundreds > 1:
            words.append(str(hundreds))
        words.append("100s" if hundreds > 1 and rest == 0 and not before_mille else "100")
    if rest:
        words += _fr_below_100(rest, last=not before_mille)
    return words


def _fr_number(n: int) -> list[str]:
    if n == 0:
        return ["0"]
    millions, rest = divmod(n, 1_000_000)
    thousands, units = divmod(rest, 1000)
    words: list[str] = []
    if millions:
        words += _fr_group(millions, False) + ["million-1" if millions == 1 else "million-many"]
    if thousands:
        words += ([] if thousands == 1 else _fr_group(thousands, True)) + ["1000"]
    if units:
        words += _fr_group(units, False)
    return words


def _fr_date(day: datetime.date) -> list[str]:
    ordinal = ["ord-1"] if day.day == 1 else _fr_number(day.day)
    return ["le", *ordinal, f"month-{day.month}", *_fr_number(day.year)]


# -- the public functions -------------------------------------------------------------------

_NUMBER: dict[Language, Callable[[int], list[str]]] = {
    Language.PL: _pl_number,
    Language.EN: _en_number,
    Language.FR: _fr_number,
}
_DATE: dict[Language, Callable[[datetime.date], list[str]]] = {
    Language.PL: _pl_date,
    Language.EN: _en_date,
    Language.FR: _fr_date,
}


def _whole_number(value: int | str) -> int:
    if isinstance(value, bool):
        raise SayError(f"{value!r} is not a whole number")
    if isinstance(value, str):
        text = value.strip()
        if not text.lstrip("-").isdigit():
            raise SayError(f"{value!r} is not a whole number")
        value = int(text)
    if abs(value) > MAX_NUMBER:
        raise SayError(f"{value} is too large to say (the limit is {MAX_NUMBER:,})")
    return value


def say_number(value: int | str, lang: Language) -> list[str]:
    """A whole number (negative ones start with "minus") as fragment prompt names."""
    n = _whole_number(value)
    words = ["minus"] if n < 0 else []
    return _prefixed(lang, words + _NUMBER[lang](abs(n)))


def say_digits(value: str, lang: Language) -> list[str]:
    """Digits one by one, as an account or phone number is read back."""
    text = value.strip().replace(" ", "")
    if not text.isdigit() or len(text) > 32:
        raise SayError(f"{value!r} is not a string of up to 32 digits")
    return _prefixed(lang, list(text))


def _unit(lang: Language, currency: Currency, count: int, sub: bool) -> str:
    stem = f"{currency.value.lower()}{'-sub' if sub else ''}"
    if lang is Language.PL:
        return f"{stem}-{_pl_form(count)}"
    if lang is Language.FR:
        if not sub and count >= 1_000_000 and count % 1_000_000 == 0:
            return f"{stem}-of"  # "un million d'euros"
        return f"{stem}-{'many' if count >= 2 else '1'}"
    return f"{stem}-{'1' if count == 1 else 'many'}"


def say_amount(value: str | int | decimal.Decimal, currency: Currency, lang: Language) -> list[str]:
    """A sum of money with its currency, whole units then hundredths ("groszy", "cents")."""
    try:
        amount = decimal.Decimal(str(value).strip().replace(",", "."))
    except decimal.InvalidOperation:
        raise SayError(f"{value!r} is not an amount") from None
    if not amount.is_finite():
        raise SayError(f"{value!r} is not an amount")
    cents_total = int((abs(amount) * 100).quantize(decimal.Decimal(1), decimal.ROUND_HALF_UP))
    whole, cents = divmod(cents_total, 100)
    if whole > MAX_NUMBER:
        raise SayError(f"{value} is too large to say")
    say = _NUMBER[lang]
    words = ["minus"] if amount < 0 and cents_total else []
    if whole or not cents:
        words += say(whole) + [_unit(lang, currency, whole, sub=False)]
    if cents:
        if whole and lang is not Language.PL:
            words.append("and" if lang is Language.EN else "et")
        words += say(cents) + [_unit(lang, currency, cents, sub=True)]
    return _prefixed(lang, words)


def say_date(value: str | datetime.date, lang: Language) -> list[str]:
    """A calendar date (YYYY-MM-DD text, or a date) as it is said aloud."""
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value.strip()[:10])
        except ValueError:
            raise SayError(f"{value!r} is not a date such as 2026-03-21") from None
    return _prefixed(lang, _DATE[lang](value))
