"""The words the box speaks numbers, amounts and dates with, per language.

:mod:`firmware.ivr.numbers` names fragments ("pl/1000-few"); this table says
what each one says, and :func:`make_fragments` records them with espeak-ng into
``ivr/prompts/<lang>/`` (``python -m firmware.ivr.fragments``), trimmed and at
8 kHz so the shipped library stays small. A technician may replace any of them
by uploading a recording with the same path under the data directory.
"""

from __future__ import annotations

import sys
from pathlib import Path

from firmware.ivr.speech import SpeechError, synthesize
from firmware.store.models import Language


def _words(text: str) -> list[str]:
    """A list of words written as one line of text, as a reader of the table wants them."""
    return text.split()


_PL_UNITS = _words(
    "zero jeden dwa trzy cztery pięć sześć siedem osiem dziewięć dziesięć jedenaście dwanaście "
    "trzynaście czternaście piętnaście szesnaście siedemnaście osiemnaście dziewiętnaście"
)
_PL_TENS = _words(
    "dwadzieścia trzydzieści czterdzieści pięćdziesiąt sześćdziesiąt siedemdziesiąt "
    "osiemdziesiąt dziewięćdziesiąt"
)
_PL_HUNDREDS = _words(
    "sto dwieście trzysta czterysta pięćset sześćset siedemset osiemset dziewięćset"
)
_PL_ORDINALS = _words(
    "pierwszego drugiego trzeciego czwartego piątego szóstego siódmego ósmego dziewiątego "
    "dziesiątego jedenastego dwunastego trzynastego czternastego piętnastego szesnastego "
    "siedemnastego osiemnastego dziewiętnastego"
)
_PL_ORDINAL_TENS = _words(
    "dwudziestego trzydziestego czterdziestego pięćdziesiątego sześćdziesiątego "
    "siedemdziesiątego osiemdziesiątego dziewięćdziesiątego"
)
_PL_MONTHS = _words(
    "stycznia lutego marca kwietnia maja czerwca lipca sierpnia września października "
    "listopada grudnia"
)

_EN_UNITS = _words(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
)
_EN_TENS = _words("twenty thirty forty fifty sixty seventy eighty ninety")
_EN_ORDINALS = _words(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
    "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth"
)
_EN_MONTHS = _words(
    "January February March April May June July August September October November December"
)

_FR_UNITS = _words(
    "zéro un deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze "
    "seize dix-sept dix-huit dix-neuf"
)
_FR_TENS = {20: "vingt", 30: "trente", 40: "quarante", 50: "cinquante", 60: "soixante"}
_FR_MONTHS = _words(
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
)


def _pl() -> dict[str, str]:
    words = {str(n): w for n, w in enumerate(_PL_UNITS)}
    words |= {str(20 + 10 * i): w for i, w in enumerate(_PL_TENS)}
    words |= {str(100 * (i + 1)): w for i, w in enumerate(_PL_HUNDREDS)}
    words |= {f"ord-{n + 1}": w for n, w in enumerate(_PL_ORDINALS)}
    words |= {f"ord-{20 + 10 * i}": w for i, w in enumerate(_PL_ORDINAL_TENS)}
    words |= {f"month-{i + 1}": w for i, w in enumerate(_PL_MONTHS)}
    words |= {
        "1000-1": "tysiąc", "1000-few": "tysiące", "1000-many": "tysięcy",
        "million-1": "milion", "million-few": "miliony", "million-many": "milionów",
        "minus": "minus", "ord-2000": "dwutysięcznego", "year": "roku",
        "pln-1": "złoty", "pln-few": "złote", "pln-many": "złotych",
        "pln-sub-1": "grosz", "pln-sub-few": "grosze", "pln-sub-many": "groszy",
        "eur-1": "euro", "eur-few": "euro", "eur-many": "euro",
        "eur-sub-1": "cent", "eur-sub-few": "centy", "eur-sub-many": "centów",
    }
    return words


def _en() -> dict[str, str]:
    words = {str(n): w for n, w in enumerate(_EN_UNITS)}
    words |= {str(20 + 10 * i): w for i, w in enumerate(_EN_TENS)}
    words |= {f"ord-{n + 1}": w for n, w in enumerate(_EN_ORDINALS)}
    words |= {f"month-{i + 1}": w for i, w in enumerate(_EN_MONTHS)}
    words |= {
        "ord-20": "twentieth", "ord-30": "thirtieth", "hundred": "hundred",
        "thousand": "thousand", "million": "million", "minus": "minus", "and": "and",
        "pln-1": "zloty", "pln-many": "zlotys", "pln-sub-1": "grosz", "pln-sub-many": "groszy",
        "eur-1": "euro", "eur-many": "euros", "eur-sub-1": "cent", "eur-sub-many": "cents",
    }
    return words


def _fr() -> dict[str, str]:
    words = {str(n): w for n, w in enumerate(_FR_UNITS)}
    words |= {str(n): w for n, w in _FR_TENS.items()}
    words |= {f"month-{i + 1}": w for i, w in enumerate(_FR_MONTHS)}
    words |= {
        "80": "quatre-vingt", "80s": "quatre-vingts", "100": "cent", "100s": "cents",
        "1000": "mille", "million-1": "million", "million-many": "millions", "et": "et",
        "minus": "moins", "le": "le", "ord-1": "premier",
        "eur-1": "euro", "eur-many": "euros", "eur-of": "d'euros",
        "eur-sub-1": "centime", "eur-sub-many": "centimes",
        "pln-1": "zloty", "pln-many": "zlotys", "pln-of": "de zlotys",
        "pln-sub-1": "grosz", "pln-sub-many": "groszy",
    }
    return words


FRAGMENTS: dict[Language, dict[str, str]] = {
    Language.PL: _pl(),
    Language.EN: _en(),
    Language.FR: _fr(),
}


def make_fragments(dest: Path, only_missing: bool = True) -> int:
    """Record every fragment into ``dest/<lang>/<word>.wav``; returns how many were made."""
    made = 0
    for lang, words in FRAGMENTS.items():
        folder = dest / lang.value
        folder.mkdir(parents=True, exist_ok=True)
        for word, text in sorted(words.items()):
            path = folder / f"{word}.wav"
            if only_missing and path.is_file():
                continue
            synthesize(text, lang, path)
            made += 1
    return made


if __name__ == "__main__":
    try:
        count = make_fragments(Path(__file__).with_name("prompts"))
    except SpeechError as exc:
        sys.exit(f"fragments: {exc}")
    print(f"{count} fragments recorded")
