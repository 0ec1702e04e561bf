"""Tell text that is not language from sentences: tables of numbers, code, word salad.

A check-worthiness model scores what it was trained on, sentences; handed a row of a table ("2019 2020 2021
12,5 13,1 14,2") or a string of names and figures ("Bitcoin 45 Prozent Tesla 2024 Gold Merkel 3,5
Millionen") it sees numbers and entities and scores them high. Three cheap measures, no model, so every
sentence of every article can be asked:
- the share of tokens that are words (a table of numbers, a list of symbols: few);
- code: its punctuation ({ } ; = < > ( ) [ ] and operators) and keywords, against the words around them;
- the share of function words among the words: every sentence of German, English or French is held
  together by articles, prepositions, pronouns and auxiliaries; word salad has next to none.
The thresholds were chosen on the tuning part of eval/claims-dev so that next to no labelled claim is
dropped (the share is printed by `python -m eval.language_gate`, docs/quality.md). Plain Python.
"""

from __future__ import annotations

import re

from textkit.terms import STOP_WORDS

MIN_TOKENS = 4
MIN_WORD_SHARE = 0.45
MIN_FUNCTION_SHARE = 0.12
MIN_WORDS_FOR_SALAD = 7
MIN_CODE_MARKS = 3
MAX_CODE_SYMBOL_SHARE = 0.035

_WORD = re.compile(
    r"^[\"'„“”«»‚‘’(\[]*(?P<word>[^\W\d_]+(?:[-'’.][^\W\d_]+)*(?:-?\d+)?)[\"'“”«»’)\]]*[.,;:!?…]*[\"'“”«»’)\]]*$"
)
_CODE_MARKS = re.compile(
    r"[{};]|=>|==|!=|<=|>=|->|::|\+\+|&&|\|\||</?\w+>|\w\(\)|\w+\.\w+\(|\b\w+_\w+\b|\b[a-z]+[A-Z]\w*\b|"
    r"\b(?:def|function|return|var|const|let|import|from|class|public|private|void|elif|None|null|true|"
    r"false|SELECT|FROM|WHERE|INSERT|print|printf|console\.log|self|this)\b"
)
_CODE_SYMBOLS = re.compile(r"[{}\[\]()<>=;_#$&|\\/*+^~`@]")
# "2 875 510 euros", "12 000": digit groups are one number, not three tokens.
_DIGIT_GROUP = re.compile(r"(?<=\d)[ \u00a0\u202f](?=\d{3}(?!\d))")
# The stop words of textkit also hold the filler of news claims ("percent", "sagte", "ans"), which word salad
# has as well; they are not what holds a sentence together.
_NEWS_FILLER = frozenset(
    "according claim claims claimed reportedly told said say says percent year years laut sagte sagt erklärte "
    "prozent jahr jahre jahren affirme déclaré dit pourcent pour cent an ans année années".split()
)
_FUNCTION_WORDS = {
    language: (words | STOP_WORDS["en"]) - _NEWS_FILLER for language, words in STOP_WORDS.items()
}


def not_language(text: str, language: str) -> str | None:
    """Say why `text` is not a sentence of language ("numbers_or_symbols", "code", "word_salad"), or None."""
    if _looks_like_code(text):
        return "code"
    tokens = _DIGIT_GROUP.sub("", text).split()
    if len(tokens) < MIN_TOKENS:
        return None
    words = [m.group("word").casefold() for m in map(_WORD.match, tokens) if m]
    if len(words) < MIN_WORD_SHARE * len(tokens):
        return "numbers_or_symbols"
    function_words = _FUNCTION_WORDS.get(language)  # other languages: no list to judge word salad by
    if function_words and len(words) >= MIN_WORDS_FOR_SALAD:
        if sum(word in function_words for word in words) < MIN_FUNCTION_SHARE * len(words):
            return "word_salad"
    return None


def _looks_like_code(text: str) -> bool:
    marks = len(_CODE_MARKS.findall(text))
    if marks < MIN_CODE_MARKS:
        return False
    return len(_CODE_SYMBOLS.findall(text)) >= MAX_CODE_SYMBOL_SHARE * len(text)
