"""Interpretable check-worthiness signals for one sentence, per language (de/en/fr + language-independent).

Every signal returns the snippets that fired, so a reviewer can read why a sentence scored as it did.
Plain Python, no Django import; all patterns are compiled once at import.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

_W = r"[^\W\d_]"  # a letter in any script

# --- language-independent -------------------------------------------------------------------------
_NUMBER = re.compile(
    r"(?<![\w.,])\d+(?:[.,\u202f\u00a0 ]\d{3})*(?:[.,]\d+)?(?![\w])|\b\d+(?:[.,]\d+)?(?=[a-zA-Z€$£%])"
)
_PERCENT = re.compile(
    r"\d+(?:[.,]\d+)?\s?(?:%|‰|percent\b|per cent\b|Prozent\b|Prozentpunkte\b|pour cent\b|pourcent\b)",
    re.IGNORECASE,
)
_MONEY = re.compile(
    r"(?:[€$£¥]\s?\d[\d.,]*(?:\s?(?:bn|m|k|Mio\.?|Mrd\.?|million|billion|trillion))?)"
    r"|(?:\d[\d.,]*\s?(?:Mio\.?|Mrd\.?|Millionen|Milliarden|millions?|milliards?|billions?|million|bn|m)?\s?"
    r"(?:€|\$|£|Euro\b|Dollar\b|dollars?\b|euros?\b|Franken\b|francs?\b|pounds?\b|US-Dollar\b|dinars?\b))",
    re.IGNORECASE,
)
_QUANTITY = re.compile(
    r"\d[\d.,]*\s?(?:km|m|cm|mm|kg|g|t|mg|l|ml|ha|km²|m²|°C|Grad|Tonnen|tonnes?|tons?|Kilometer|kilomètres?|"
    r"miles?|Meter|mètres?|metres?|meters?|Stunden|heures?|hours?|Minuten|minutes?|Tage|jours|days|Jahre|ans|"
    r"years|Wochen|semaines|weeks|Monate|mois|months|Menschen|personnes|people|Einwohner|habitants|residents|"
    r"Mio\.?|Mrd\.?|Millionen|Milliarden|millions?|milliards?|billions?|Prozentpunkte|points?)\b",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?<!\d)(?:1[5-9]\d\d|20\d\d)(?!\d)")
_NUMERIC_DATE = re.compile(r"\b\d{1,2}[./]\d{1,2}[./](?:\d{2}|\d{4})\b")
_MONTH_DATE = re.compile(
    r"\b(?:\d{1,2}\.?\s?(?:er\s)?)?(?:Januar|Jänner|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|"
    r"November|Dezember|January|February|March|April|May|June|July|August|September|October|November|December|"
    r"janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre)\b(?:\s\d{1,4})?"
)
# An event pinned to a day or period ("am Montag", "Samstagabend", "gestern", "on Tuesday", "mercredi soir",
# "im Jahr", "last week") is as checkable as one with a calendar date.
_RELATIVE_DATE = {
    "de": re.compile(
        r"\b(?:(?:am|vom|seit|bis|ab)\s+)?(?:Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonnabend|Sonntag)"
        r"(?:früh|morgen|vormittag|mittag|nachmittag|abend|nacht|s)?\b|\b(?:gestern|vorgestern|heute|morgen)\b"
        r"(?:\s+(?:früh|morgen|vormittag|mittag|nachmittag|abend))?|\b(?:im|seit dem|bis zum) Jahr\b"
        r"|\b(?:vergangene[nrs]?|letzte[nrs]?|nächste[nrs]?|kommende[nrs]?|diese[nrs]?) (?:Woche|Monat|Jahr|Wochenende)"
        r"|\b(?:Anfang|Mitte|Ende) (?:des )?(?:Jahres|Monats|Januar|Februar|März|April|Mai|Juni|Juli|August|"
        r"September|Oktober|November|Dezember)\b|\bzuvor\b|\bbereits am\b"
    ),
    "en": re.compile(
        r"\b(?:on\s+)?(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)s?\b|\b(?:yesterday|today|"
        r"tonight)\b|\b(?:last|next|this) (?:week|month|year|weekend)\b|\bearlier this (?:week|month|year)\b"
        r"|\bin the (?:\d{4}s|\d0s)\b"
    ),
    "fr": re.compile(
        r"\b(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)(?:\s+(?:matin|soir|dernier))?\b|\b(?:hier|"
        r"aujourd'hui|aujourd’hui|avant-hier)\b|\b(?:la semaine|le mois|l'année|l’année) (?:dernière|prochaine)\b"
        r"|\ben (?:début|fin) d'année\b"
    ),
}
# Spelled-out quantities and shares ("zwei Drittel", "die Hälfte", "jeder zweite", "three times", "deux fois").
_SPELLED_QUANTITY = {
    "de": re.compile(
        r"\b(?:(?:ein|zwei|drei|vier)\s+)?(?:Hälfte|Drittel|Viertel|Fünftel|Dutzend|Dutzende)\b|\bjede[rs]?\s+"
        r"(?:zweite|dritte|vierte|fünfte|zehnte)\b|\b(?:zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf|"
        r"zwanzig|dreißig|hundert|tausend)(?:\s+Mal\b|mal\b|fach\b|\s+[A-ZÄÖÜ]\w+)|\b(?:Hunderte|Tausende|"
        r"Millionen|Milliarden)\b|\bverdoppelt|\bverdreifacht"
    ),
    "en": re.compile(
        r"\b(?:half|a third|two thirds|a quarter|three quarters|dozens?|hundreds|thousands|millions|billions)\b"
        r"|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|hundred|thousand)\s+"
        r"(?:times|percent|per cent|[a-z]+s)\b|\b(?:twice|doubled|tripled|halved)\b"
    ),
    "fr": re.compile(
        r"\b(?:la moitié|un tiers|deux tiers|un quart|trois quarts|des dizaines|des centaines|des milliers|"
        r"des millions|des milliards)\b|\b(?:deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|vingt|"
        r"cent|mille)\s+(?:fois|[a-zé]+s)\b"
    ),
}
# German names: common nouns are capitalised too, so single words count only with a cue. A place name
# follows a bare preposition ("nach Stockholm", "zwischen Madrid und Köln") and lacks the suffixes of
# German common nouns; a person follows a title or role ("Herr", "Minister", "FDP-Chef", "Sprecherin");
# an organisation ends in a legal form or an official word ("GmbH", "e.V.", "Ministerium", "Bundesamt").
_DE_NOUN_SUFFIX = re.compile(
    r"(?:ung|heit|keit|schaft|ion|tät|ismus|nis|tum|ment|ik|ur|en|er|el|e|in|ten|ern|chen|lein|ling|ei|ie|"
    r"ist|ent|ant|age|eur|or|um|al|os|ss|ß|at|et)$"
)
_DE_PLACE = re.compile(
    r"\b(?:in|nach|aus|von|vom|bei|zwischen|über|bis nach|Richtung|und)\s+([A-ZÄÖÜ][a-zäöüßé]+"
    r"(?:[- ][A-ZÄÖÜ][a-zäöüßé]+)?)(?![\w-])"
)
_DE_PERSON_CUE = re.compile(
    r"(?:\b(?:Herr|Herrn|Frau|Dr\.|Prof\.|Minister(?:in)?|Ministerpräsident(?:in)?|Premierminister(?:in)?|"
    r"Kanzler(?:in)?|Bundeskanzler(?:in)?|Präsident(?:in)?|Bürgermeister(?:in)?|Sprecher(?:in)?|Chef(?:in)?|"
    r"Direktor(?:in)?|Trainer(?:in)?|Anwalt|Anwältin|Richter(?:in)?|Abgeordnete[rn]?|Politiker(?:in)?|"
    r"Sportdirektor(?:in)?|Oppositionsführer(?:in)?|Parteichef(?:in)?|Vorsitzende[rn]?|Gründer(?:in)?)"
    r"|-(?:Chef|Chefin|Sprecher|Sprecherin|Politiker|Politikerin|Abgeordnete[rn]?|Mitbegründer|Vorsitzende[rn]?))"
    r"\s+([A-ZÄÖÜ][\w-]+)"
)
_DE_REPORTED_BY = re.compile(
    r"\b(?:sagte|sagt|erklärte|kritisierte|betonte|schrieb|berichtete|erzählte|versichert|versicherte|forderte|"
    r"warnte|meinte|ergänzte|teilte|hatte|war|ist|wurde|machte|schaffte|starb|kam)\s+([A-ZÄÖÜ][a-zäöüß]+)\b"
)
_DE_ORGANISATION = re.compile(
    r"\b[\w-]+(?:\s+(?:GmbH|AG|SE|KG|e\.\s?V\.|Co\.))\b|\b[A-ZÄÖÜ][\w-]*(?:ministerium|amt|behörde|gericht|"
    r"partei|verband|verein|institut|agentur|kommission|regierung|parlament|rat|bank|universität|"
    r"hochschule|polizei|staatsanwaltschaft|konzern|gesellschaft|stiftung|bundestag|bundesrat|rechnungshof)\b"
)
_ACRONYM = re.compile(r"\b[A-ZÄÖÜ]{2,}[a-z]?(?:-[A-ZÄÖÜ][\w]*)?\b|\b[A-Z][a-z]+[A-Z]\w*\b")
_CAPITALISED = re.compile(rf"(?<![\w-])[A-ZÄÖÜÉÈÀÇ]{_W}+(?:[-’']{_W}+)*")
_QUOTE = re.compile(r"[\"“”„«»]")

# --- per language ---------------------------------------------------------------------------------
# Word lists per language (attribution, comparison, causal, hedge, opinion, first/second person, stop
# words): data files next to this module, one per language, lowercase.
LEXICON_DIR = Path(__file__).resolve().parent / "lexicons"
_LEXICONS: dict[str, dict[str, list[str]]] = {
    path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(LEXICON_DIR.glob("*.json"))
}

# Imperative forms in German put "Sie" right after the verb ("Lesen Sie auch", "Melden Sie sich an").
_DE_IMPERATIVE_SIE = re.compile(r"^\s*\w+en Sie\b")
_FR_IMPERATIVE_EZ = re.compile(r"^\s*[A-ZÉ]\w+ez\b(?!-vous\s+\w+(?:er|ir|re)\b\s*\?)")

_LIST_MARKER = re.compile(r"^\s*(?:\d{1,2}\s*[-–.)]|[-–•*·])\s*")
_NEVER = re.compile(r"(?!x)x")
_INSTRUCTION_AFTER_MARKER = {
    "fr": re.compile(r"^[a-zéèà]\w*(?:er|ir|re)\b"),
    "en": re.compile(
        r"^(?:ensure|make|take|use|avoid|create|provide|increase|reduce|integrate|activate|improve)\b", re.I
    ),
    "de": re.compile(r"^[a-zäöü]\w*en\b"),
}

LEXICON_SIGNALS = (
    "attribution",
    "comparison",
    "causal",
    "hedge",
    "opinion",
    "first_person",
    "second_person",
    # what the definition says is not a claim: forecasts and modal verbs, teasers, the outlet describing itself
    "forecast",
    "promotion",
    "self_description",
)
SIGNAL_NAMES = (
    "number",
    "percent",
    "money",
    "quantity",
    "date",
    "entity",
    "quote",
    *LEXICON_SIGNALS,
    "question",
    "imperative",
)


def _phrase_pattern(phrases: list[str], flags: int = re.IGNORECASE) -> re.Pattern[str]:
    ordered = sorted(set(phrases), key=len, reverse=True)
    alternatives = "|".join(re.escape(p) + ("" if p.endswith(("'", "’")) else r"(?!\w)") for p in ordered)
    return re.compile(rf"(?<!\w)(?:{alternatives})", flags)


_PATTERNS = {
    language: {name: _phrase_pattern(words) for name, words in lexicon.items() if name != "stopwords"}
    for language, lexicon in _LEXICONS.items()
}
# The lexicons are lowercase: matching them case-sensitively against the lowercased sentence is about twice
# as fast as IGNORECASE, and it is the hottest loop of claim extraction.
_LOWER_PATTERNS = {
    language: {name: _phrase_pattern(lexicon[name], 0) for name in LEXICON_SIGNALS}
    for language, lexicon in _LEXICONS.items()
}
_STOPWORDS = {language: set(lexicon["stopwords"]) for language, lexicon in _LEXICONS.items()}


def _capitalised_runs(text: str, language: str) -> list[list[str]]:
    """Split the sentence's capitalised words into runs of adjacent ones, broken by function words.

    A sentence-initial capital says nothing about a name, so outside German that word does not start a run.
    """
    stop = _STOPWORDS.get(language, set())
    run: list[str] = []
    run_end = -1
    runs: list[list[str]] = []
    for match in _CAPITALISED.finditer(text):
        word = match.group(0)
        if word.lower() in stop:
            if run:
                runs.append(run)
            run, run_end = [], -1
            continue
        if run and text[run_end : match.start()].strip() == "":
            run.append(word)
        else:
            if run:
                runs.append(run)
            sentence_initial = not text[: match.start()].strip(" \"'„“«(")
            run = [] if sentence_initial and language != "de" else [word]
        run_end = match.end()
    if run:
        runs.append(run)
    return runs


def _german_names(text: str) -> list[str]:
    """Names that German marks by context: after a title, in an organisation's form, after a preposition
    of place or right after a verb of saying."""
    found = [m.group(1) for m in _DE_PERSON_CUE.finditer(text)]
    found += [m.group(0) for m in _DE_ORGANISATION.finditer(text)]
    for m in _DE_PLACE.finditer(text):
        if not _DE_NOUN_SUFFIX.search(m.group(1).split()[-1].lower()):
            found.append(m.group(1))
    for m in _DE_REPORTED_BY.finditer(text):
        # "sagte Lucke", "hatte Johnson": a capitalised word right after a verb, without an article, that
        # does not look like a common noun is a name.
        if not _DE_NOUN_SUFFIX.search(m.group(1).lower()):
            found.append(m.group(1))
    return found


def _entities(text: str, language: str) -> list[str]:
    """Find likely names: acronyms and runs of capitalised words that are not sentence-initial function words.

    German capitalises every noun, so there a single capitalised word is not taken as a name; only acronyms,
    runs of two or more capitalised words, and words after a title or a preposition of place count.
    """
    found = [m.group(0) for m in _ACRONYM.finditer(text)]
    shortest_run = 2 if language == "de" else 1
    found += [" ".join(words) for words in _capitalised_runs(text, language) if len(words) >= shortest_run]
    if language == "de":
        found += _german_names(text)
    return list(dict.fromkeys(found))


def _number_signals(text: str, language: str) -> dict[str, list[str]]:
    """The language-independent snippets (with each language's spelled-out forms), by signal name."""
    quantities = [m.group(0) for m in _QUANTITY.finditer(text)]
    if language in _SPELLED_QUANTITY:
        quantities += [m.group(0) for m in _SPELLED_QUANTITY[language].finditer(text)]
    dates = [m.group(0) for m in _MONTH_DATE.finditer(text)]
    if language in _RELATIVE_DATE:
        dates += [m.group(0) for m in _RELATIVE_DATE[language].finditer(text)]
    dates += [m.group(0) for m in _NUMERIC_DATE.finditer(text)]
    dates += [m.group(0) for m in _YEAR.finditer(text)]
    return {
        "percent": [m.group(0) for m in _PERCENT.finditer(text)],
        "money": [m.group(0) for m in _MONEY.finditer(text)],
        "quantity": quantities,
        "date": dates,
        "number": [m.group(0) for m in _NUMBER.finditer(text)],
        "quote": _QUOTE.findall(text)[:1],
    }


def _lexicon_signals(text: str, language: str) -> dict[str, list[str]]:
    """The snippets of each lexicon signal in the sentence, in the sentence's own spelling."""
    lowered = text.lower()
    if len(lowered) == len(text):  # offsets carry over, so snippets keep the sentence's own spelling
        return {
            name: [text[m.start() : m.end()] for m in _LOWER_PATTERNS[language][name].finditer(lowered)]
            for name in LEXICON_SIGNALS
        }
    return {name: [m.group(0) for m in _PATTERNS[language][name].finditer(text)] for name in LEXICON_SIGNALS}


def _imperative(text: str, language: str) -> str | None:
    """The words that make the sentence an instruction to the reader, or None."""
    unlisted = _LIST_MARKER.sub("", text, count=1)
    imperative = _PATTERNS[language]["imperative_start"].match(unlisted.lstrip(" \"'„“«-–•"))
    if imperative:
        return imperative.group(0)
    if language == "de" and _DE_IMPERATIVE_SIE.match(text):
        return text.split()[0] + " Sie"
    if language == "fr" and _FR_IMPERATIVE_EZ.match(text) and not text.rstrip().endswith("?"):
        return text.split()[0]
    if unlisted != text and _INSTRUCTION_AFTER_MARKER.get(language, _NEVER).match(unlisted):
        # A numbered/bulleted item starting with an infinitive or imperative is a recommendation.
        return unlisted.split()[0]
    return None


def detect_signals(text: str, language: str) -> dict[str, list[str]]:
    """Return the signals that fired in one sentence, each with the snippets that triggered it.

    Languages other than de/en/fr get only the language-independent signals.
    """
    signals: dict[str, list[str]] = {}

    def add(name: str, items) -> None:
        items = [i.strip() for i in items if i and i.strip()]
        if items:
            signals[name] = list(dict.fromkeys(items))[:5]

    for name, items in _number_signals(text, language).items():
        add(name, items)
    stripped = text.rstrip(" \"'“”»)")
    if stripped.endswith("?"):
        signals["question"] = ["?"]
    if language not in _PATTERNS:
        add("entity", (m.group(0) for m in _ACRONYM.finditer(text)))
        return signals
    add("entity", _entities(text, language))
    for name, items in _lexicon_signals(text, language).items():
        add(name, items)
    imperative = _imperative(text, language)
    if imperative is not None:
        signals["imperative"] = [imperative]
    return signals


def signal_features(signals: dict[str, list[str]], text: str) -> dict[str, float]:
    """Turn fired signals into numeric model features (names prefixed with `s:`)."""
    features: dict[str, float] = {}
    for name, items in signals.items():
        features[f"s:{name}"] = 1.0
        if len(items) > 1:
            features[f"s:{name}_many"] = 1.0
    words = len(text.split())
    if words <= 6:
        features["s:short"] = 1.0
    elif words >= 25:
        features["s:long"] = 1.0
    if "number" not in signals and "entity" not in signals and "date" not in signals:
        features["s:no_anchor"] = 1.0
    # A quotation carrying first person, address or opinion is usually a stance, not a checkable fact.
    if "quote" in signals and any(
        n in signals for n in ("first_person", "second_person", "opinion", "hedge")
    ):
        features["s:quoted_stance"] = 1.0
    return features
