"""Search queries from a claim: language-aware keywords, a few queries per claim.

Plain Python. The tokenizer, stop words and number/name extraction here are shared by passages, ranking and
stance so that a claim and its evidence are always cut the same way.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

# Small, hand-kept lists: function words and the filler verbs of news claims. Enough to keep queries
# short; ranking does not depend on them being complete.
_EN = """a about above after again against all also am an and any are aren't as at be because been before
being below between both but by can could did do does doing down during each even ever every few for from
further had has have having he her here hers herself him himself his how however i if in into is it its
itself just least less let like many may me might more most much must my myself no nor not now of off on
once one only or other our ours ourselves out over own per said same say says she should since so some
such than that the their theirs them themselves then there these they this those though through to too
under until up upon us very via was we were what when where whether which while who whom whose why will
with within without would yet you your yours yourself according claim claims claimed reportedly told
percent year years"""
_DE = """aber alle allem allen aller alles als also am an ander andere anderem anderen anderer anderes auch
auf aus bei beim bin bis bisher bist da dabei dadurch dafür damit dann daran darauf darum das dass dem den
denen denn der deren des dessen die dies diese diesem diesen dieser dieses doch dort du durch ein eine
einem einen einer eines einige er es etwa euch euer für gegen gewesen hab habe haben hat hatte hatten
hier hin hinter ich ihm ihn ihnen ihr ihre ihrem ihren ihrer im in ins ist ja jede jedem jeden jeder
jedes jedoch jene jetzt kann kaum kein keine keinem keinen keiner können könnte man manche mehr mein
mit muss müssen nach nicht nichts noch nun nur ob oder ohne schon sehr sei seien sein seine seinem
seinen seiner seit sich sie sind so solche soll sollen sollte sondern sowie über um und uns unser
unter viel viele vom von vor wann war waren warum was weil welche welchem welchen welcher wenn wer werde
werden wie wieder will wir wird wo wurde wurden zu zum zur zwar zwischen laut sagte sagt erklärte
prozent jahr jahre jahren"""
_FR = """à afin ai aie aient ainsi alors au aucun aucune aujourd auprès aussi autre autres aux avaient avais
avait avant avec avez avoir avons ça car ce ceci cela celle celles celui cependant ces cet cette ceux
chaque chez comme comment d dans de des depuis devrait doit donc dont du elle elles en encore entre es
est et étaient était été être eu eux fait faut fois font hors il ils j je jusqu l la là le les leur
leurs lors lorsque lui m ma mais me même mes moi moins mon n ne ni non nos notre nous on ont ou où par
parce pas pendant peu peut plus plusieurs pour pourquoi qu quand que quel quelle quelles quels qui quoi
s sa sans se selon ses si sien son sont sous sur t ta tandis te tes toi ton tous tout toute toutes
très tu un une vers via vos votre vous y selon affirme déclaré dit pourcent pour cent an ans année
années"""
STOP_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset(_EN.split()),
    "de": frozenset(_DE.split()),
    "fr": frozenset(_FR.split()),
}
_ALL_STOP = frozenset().union(*STOP_WORDS.values())

NEGATIONS: dict[str, frozenset[str]] = {
    "en": frozenset(
        "not no never none nobody nothing neither nor cannot can't isn't wasn't aren't weren't "
        "don't doesn't didn't won't hasn't haven't hadn't without".split()
    ),
    "de": frozenset(
        "nicht kein keine keinen keinem keiner keines nie niemals nichts niemand weder ohne".split()
    ),
    "fr": frozenset("ne pas non jamais aucun aucune rien personne ni sans guère".split()),
}

WORD = re.compile(r"[^\W_](?:[\w'’\-]*[^\W_])?", re.UNICODE)
_NUMBER = re.compile(
    r"(?<![\w.,])[-−]?\d{1,3}(?:[ .,'’\u202f\u00a0]\d{3})+(?:[.,]\d+)?(?![\w])"  # 1,000 / 1.000 / 1 000,5
    r"|(?<![\w.,])[-−]?\d+(?:[.,]\d+)?(?![\w])"
)
TOKEN = re.compile(rf"(?P<num>{_NUMBER.pattern})|{WORD.pattern}", re.UNICODE)
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")
QUOTED = re.compile(r"[\"“”„«»‚‘]\s*([^\"“”„«»‚‘]{3,120}?)\s*[\"“”«»‘’]")
NUMBER_WORDS = {
    "en": {
        "million": 1e6,
        "millions": 1e6,
        "billion": 1e9,
        "billions": 1e9,
        "thousand": 1e3,
        "trillion": 1e12,
    },
    "de": {
        "million": 1e6,
        "millionen": 1e6,
        "milliarde": 1e9,
        "milliarden": 1e9,
        "tausend": 1e3,
        "mio": 1e6,
        "mrd": 1e9,
    },
    "fr": {"million": 1e6, "millions": 1e6, "milliard": 1e9, "milliards": 1e9, "mille": 1e3},
}


def normalize_language(language: str) -> str:
    lang = (language or "en").lower().split("-")[0].split("_")[0]
    return lang if lang in STOP_WORDS else "en"


@lru_cache(maxsize=65_536)  # pure; every word of every passage and match candidate; vocabulary repeats
def fold(word: str) -> str:
    """Lower-case; strip apostrophes and the possessive, keep accents (they carry meaning in de/fr)."""
    word = unicodedata.normalize("NFC", word).lower().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    # French elision: l'économie -> économie, d'après -> après
    if len(word) > 2 and word[1] == "'" and word[0] in "ldjmnstcq":
        word = word[2:]
    return word.strip("'-")


def stop_words(language: str) -> frozenset[str]:
    return STOP_WORDS[normalize_language(language)]


def tokenize(text: str, language: str = "en", *, keep_stop: bool = False) -> list[str]:
    """Words of `text`, folded, without stop words of the language (and of English, which leaks into all).

    Numbers stay whole and are written canonically ("3,5" in German and "3.5" in English both become
    "3.5"), so that a figure matches across languages and formats.
    """
    stops = stop_words(language) | STOP_WORDS["en"]
    out = []
    for m in TOKEN.finditer(text):
        if m.group("num"):
            value = parse_number(m.group("num"), language)
            if value is not None:
                out.append(format_number(value))
            continue
        word = fold(m.group(0))
        if not word or (not keep_stop and (word in stops or len(word) < 2)):
            continue
        out.append(word)
    return out


def format_number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


@lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """A very light suffix stripper shared by claim and evidence (plural and a few inflections)."""
    if len(word) <= 4 or word[0].isdigit():
        return word
    for suffix in ("ungen", "ions", "ing", "ies", "ed", "es", "en", "er", "s", "e"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def parse_number(raw: str, language: str = "en") -> float | None:
    """'1,000' (en) / '1.000' (de) / '3,5' (de, fr) / '1 000' -> float."""
    s = raw.replace("−", "-").replace("\u202f", " ").replace("\u00a0", " ").replace("’", "'")
    decimal = "." if normalize_language(language) == "en" else ","
    s = s.replace(" ", "").replace("'", "")
    s = s.replace("," if decimal == "." else ".", "").replace(decimal, ".")
    try:
        return float(s)
    except ValueError:
        return None


def numbers(text: str, language: str = "en") -> set[float]:
    """Numeric values mentioned in `text`, scaled by a following million/billion word."""
    out: set[float] = set()
    scales = NUMBER_WORDS[normalize_language(language)] | NUMBER_WORDS["en"]
    for m in _NUMBER.finditer(text):
        value = parse_number(m.group(0), language)
        if value is None:
            continue
        after = text[m.end() : m.end() + 14].lower().split()
        if after and after[0].strip(".,") in scales:
            out.add(round(value * scales[after[0].strip(".,")], 6))
        out.add(round(value, 6))
    return out


def years(text: str) -> set[int]:
    return {int(y) for y in _YEAR.findall(text)}


@dataclass(frozen=True)
class TextTerms:
    """What ranking and stance read from one passage, computed once per passage (see `text_terms`)."""

    stems: tuple[str, ...]  # stem(tokenize(text)), in order (BM25 counts repeats)
    stem_set: frozenset[str]
    numbers: frozenset[float]  # numbers(text), years included
    years: frozenset[int]


def text_terms(text: str, language: str = "en") -> TextTerms:
    """The stems, numbers and years of a passage: independent of the claim, so they can be computed as soon
    as a page arrives, while other pages are still being fetched."""
    stems = tuple(stem(t) for t in tokenize(text, language))
    return TextTerms(
        stems=stems,
        stem_set=frozenset(stems),
        numbers=frozenset(numbers(text, language)),
        years=frozenset(years(text)),
    )


def names(text: str, language: str = "en") -> set[str]:
    """Capitalised words that are not sentence-initial stop words: people, places, organisations.

    German capitalises every noun, so there a name is only a capitalised word in a run of two or more, or
    one that is not at the start and looks like a proper noun (contains a capital after the first letter,
    or is an acronym).
    """
    lang = normalize_language(language)
    stops = stop_words(lang) | STOP_WORDS["en"]
    found: set[str] = set()
    tokens = list(WORD.finditer(text))
    run: list[str] = []

    def flush() -> None:
        if not run:
            return
        if lang != "de" or len(run) >= 2:
            found.update(fold(w) for w in run)
        else:
            w = run[0]
            if w.isupper() and len(w) >= 2 or any(c.isupper() for c in w[1:]):
                found.add(fold(w))
        run.clear()

    for i, m in enumerate(tokens):
        w = m.group(0)
        sentence_start = i == 0 or text[tokens[i - 1].end() : m.start()].strip()[-1:] in {".", "!", "?", ":"}
        if (
            w[0].isupper()
            and fold(w) not in stops
            and not (sentence_start and lang != "de" and w.istitle() and fold(w) in _ALL_STOP)
        ):
            if sentence_start and lang != "de" and not run:
                # A capitalised first word is only taken as a name when the next word is capitalised too.
                nxt = tokens[i + 1].group(0) if len(tokens) > i + 1 else ""
                if not nxt[:1].isupper():
                    flush()
                    continue
            run.append(w)
        else:
            flush()
    flush()
    return {n for n in found if len(n) >= 2}


@dataclass
class ClaimTerms:
    """The parts of a claim that queries and agreement checks are built from."""

    language: str
    words: list[str]
    quoted: list[str] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    numbers: set[float] = field(default_factory=set)
    years: set[int] = field(default_factory=set)
    number_tokens: list[str] = field(default_factory=list)


def claim_terms(claim_text: str, language: str = "en") -> ClaimTerms:
    lang = normalize_language(language)
    quoted = [q.strip() for q in QUOTED.findall(claim_text) if len(q.split()) <= 12]
    number_tokens = [m.group(0).strip() for m in _NUMBER.finditer(claim_text)]
    return ClaimTerms(
        language=lang,
        words=tokenize(claim_text, lang),
        quoted=quoted,
        names=names(claim_text, lang),
        numbers=numbers(claim_text, lang),
        years=years(claim_text),
        number_tokens=number_tokens,
    )
