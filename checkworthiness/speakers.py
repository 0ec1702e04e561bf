"""Who a sentence attributes its content to: the claim's speaker, when the sentence names one.

"…", sagte Lucke · a déclaré le ministre de la Santé Adam Vojtěch · the spokesperson said · nach Angaben der
Polizei · according to the Office for National Statistics · selon l'Insee. The speaker is a person or an
organisation (schema.org Person / Organization, what ClaimReview's itemReviewed.author takes); a role
without a name ("ein Regierungssprecher", "a spokesperson for UCEA") is a person named by that role. A
pronoun ("sagte er", "she said", "a-t-il déclaré") is the speaker named in the sentences before. A
sentence without attribution is the article's own statement: no speaker (never the journalist).

Rules, not a model: a reporting verb or a source cue (the attribution cues of signals.py, read from the
same data files, tell whether to look at all), then the noun phrase next to it, read word by word. The
words (verbs, cues, pronouns, roles, organisation words) are data: lexicons/speakers/<language>.json.
Plain Python, no Django. Its accuracy on the labelled news is in docs/quality.md (`python -m eval.speakers`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache

from checkworthiness.signals import LEXICON_DIR

PERSON = "Person"
ORGANIZATION = "Organization"
# How much of the text before a sentence to pass as `before`: enough for the full name of a speaker named
# a few paragraphs earlier and for the last speaker a pronoun refers to.
BEFORE_CHARS = 3000
SPEAKER_DIR = LEXICON_DIR / "speakers"

_UPPER = "A-ZÄÖÜÀÂÆÇÉÈÊËÎÏÔŒÙÛŸÁÍÓÚÑČŠŽĚŘ"
_TOKEN = re.compile(r"[\w’'.\-&]+|[^\w\s]", re.UNICODE)
_CAPITALISED = re.compile(rf"^[{_UPPER}]")
_INITIAL = re.compile(rf"^[{_UPPER}]\.$")
_SENTENCE_END = re.compile(r"(?<=[.!?:…»“”\"])\s+")
_QUOTES = "\"“”„«»‚‘’'"
PARTICLES = {
    "de",
    "von",
    "van",
    "der",
    "den",
    "la",
    "le",
    "du",
    "di",
    "da",
    "del",
    "dos",
    "zu",
    "bin",
    "al",
    "ten",
    "mac",
}
# Articles that are particles only after another one: "von der Leyen", "van den Berg" (not "laut dem
# Rechnungshof den Bau").
SECOND_PARTICLES = {"der", "den"}
JOINERS = {"und", "and", "et", "&"}  # inside a name of several capitalised words: "Post and Courier"
# Sentence openers that are capitalised without being names.
NOT_NAMES = {
    "de": {
        "Das",
        "Die",
        "Der",
        "Dies",
        "Diese",
        "Dieser",
        "Es",
        "Er",
        "Sie",
        "Man",
        "Wir",
        "Ich",
        "Ihr",
        "Auch",
        "Aber",
        "Doch",
        "Und",
        "So",
        "Dabei",
        "Damit",
        "Dass",
        "Wenn",
        "Nach",
        "Laut",
        "Zudem",
        "Außerdem",
        "Allerdings",
    },
    "en": {
        "The",
        "This",
        "That",
        "It",
        "He",
        "She",
        "They",
        "We",
        "I",
        "You",
        "But",
        "And",
        "A",
        "An",
        "In",
        "On",
        "As",
        "According",
        "Per",
        "There",
        "Here",
        "His",
        "Her",
        "Their",
        "Its",
        "Our",
    },
    "fr": {
        "Le",
        "La",
        "Les",
        "Il",
        "Elle",
        "Ils",
        "Elles",
        "On",
        "Nous",
        "Je",
        "Ce",
        "Cela",
        "Ça",
        "Mais",
        "Et",
        "Selon",
        "Pour",
        "Un",
        "Une",
        "Des",
        "Du",
        "En",
        "Au",
        "Aux",
        "Si",
        "Cette",
        "Son",
        "Sa",
        "Ses",
    },
}


@dataclass(frozen=True)
class Speaker:
    name: str
    type: str  # PERSON or ORGANIZATION


@dataclass
class Words:
    verbs: list[re.Pattern]
    before_source: list[re.Pattern]
    after_source: list[re.Pattern]
    pronouns: set[str]
    roles: set[str]
    role_suffixes: tuple[str, ...]
    articles: set[str]
    organisation: set[str]
    auxiliaries: set[str]
    participles: list[re.Pattern]
    prepositions: set[str]
    subject_only: set[str]
    objects: set[str]
    definite: set[str]
    attribution: re.Pattern


def _pattern(phrase: str) -> re.Pattern:
    return re.compile(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", re.IGNORECASE)


@lru_cache(maxsize=8)
def words_for(language: str) -> Words | None:
    """The language's speaker words (None for a language without them); read once."""
    path = SPEAKER_DIR / f"{language}.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    cues = json.loads((LEXICON_DIR / f"{language}.json").read_text(encoding="utf-8"))["attribution"]
    every_cue = sorted(
        set(cues)
        | set(data["verbs"])
        | set(data["before_source"])
        | set(data["after_source"])
        | set(data["participles"]),
        key=len,
    )
    return Words(
        verbs=[_pattern(v) for v in sorted(data["verbs"], key=len, reverse=True)],
        before_source=[_pattern(c) for c in sorted(data["before_source"], key=len, reverse=True)],
        after_source=[_pattern(c) for c in data["after_source"]],
        pronouns=set(data["pronouns"]),
        roles=set(data["roles"]),
        role_suffixes=tuple(data["role_suffixes"]),
        articles=set(data["articles"]),
        organisation=set(data["organisation"]),
        auxiliaries=set(data["auxiliaries"]),
        participles=[_pattern(p) for p in data["participles"]],
        prepositions=set(data["prepositions"]),
        subject_only=set(data["subject_only"]),
        objects=set(data["objects"]),
        definite=set(data["definite"]),
        attribution=re.compile(
            "|".join(rf"(?<![\w-]){re.escape(c)}(?![\w-])" for c in reversed(every_cue)), re.IGNORECASE
        ),
    )


def find_speaker(sentence: str, *, language: str, before: str = "", after: str = "") -> Speaker | None:
    """The speaker `sentence` attributes its content to, or None (the article's own statement, or nobody
    named). `before` is the text before the sentence (for pronouns, for a quotation introduced by the
    sentence before it, and for a speaker's full name when the sentence gives only the surname), `after`
    the sentence after it (for "…" followed by "Das sagt X.")."""
    words = words_for(language)
    if words is None:
        return None
    read = Reader(words, language, before)
    found = read.attributed(sentence)
    if found == PRONOUN:
        return read.previous_speaker()
    if isinstance(found, Speaker):
        return found
    if sentence.strip()[:1] in _QUOTES:
        # A quotation on its own: introduced by the sentence before ("X sagte:") or attributed by the next.
        previous = _sentences(before)[-1:]
        if previous and previous[0].rstrip().endswith(":"):
            found = read.attributed(previous[0])
            if isinstance(found, Speaker):
                return found
        if after and words.attribution.search(after[:60]):
            found = read.attributed(after)
            if isinstance(found, Speaker):
                return found
            if found == PRONOUN:
                return read.previous_speaker()
    return None


PRONOUN = "pronoun"
_NOT_HERE = "(not here)"  # Reader.subject_ending_at: try the next place the subject may end


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text.strip()) if s] if text else []


_ELIDED = re.compile(r"^((?:[lLdD]|[qQ]u)['’])(?=\w)")
_ABBREVIATION = re.compile(
    r"(?:\w\.)+|(?:Dr|Prof|Mr|Mrs|Ms|Rep|Sen|St|Jr|Sr|Mme|Mlle|Hr|Fr)\.", re.IGNORECASE
)


def _tokens(text: str) -> list[str]:
    """Words and punctuation; a full stop stays with an initial or abbreviation ("K.", "F.A.S.", "Dr.")."""
    tokens = []
    for token in _TOKEN.findall(text):
        elided = _ELIDED.match(token)
        if elided:  # "l’Insee", "d'Edouard": the article apart
            tokens.append(elided.group(1))
            token = token[len(elided.group(1)) :]
        if len(token) > 1 and token.endswith(".") and not _ABBREVIATION.fullmatch(token):
            tokens += [token.rstrip("."), "."]
        else:
            tokens.append(token)
    return tokens


class Reader:
    """Reads the speaker out of sentences of one article (its language's words, the text before)."""

    def __init__(self, words: Words, language: str, before: str) -> None:
        self.words, self.language, self.before = words, language, before

    # --- the cues ---------------------------------------------------------------------------------

    def attributed(self, sentence: str) -> Speaker | str | None:
        """The speaker of one sentence from its own words; PRONOUN when a pronoun stands for it."""
        words = self.words
        if not words.attribution.search(sentence):
            return None
        self.sentence = sentence
        return self.from_source_cues(sentence) or self.from_verbs(sentence) or self.from_participles(sentence)

    def from_source_cues(self, sentence: str) -> Speaker | str | None:
        """ "laut X", "according to X", "selon X" (the source after the cue) and "X zufolge" (before it)."""
        for cue in self.words.before_source:
            for match in cue.finditer(sentence):
                found = self.phrase_after(sentence, match.end(), after_cue=True)
                if found is not None:
                    return found
        for cue in self.words.after_source:
            for match in cue.finditer(sentence):
                found = self.phrase_before(sentence, match.start())
                if found is not None:
                    return found
        return None

    def from_verbs(self, sentence: str) -> Speaker | str | None:
        for verb in self.words.verbs:
            for match in verb.finditer(sentence):
                if sentence[match.start()].isupper() and match.start() > 0:
                    continue  # a noun or a name: "Sagen", "the United States"
                preceding = _tokens(sentence[: match.start()])[-1:]
                if self.language == "fr" and preceding and self.is_article(preceding[0]):
                    continue  # a noun: "dans l'estime de", "la note"
                found = self.around(sentence, match.start(), match.end())
                if found is not None:
                    return found
        return None

    def from_participles(self, sentence: str) -> Speaker | str | None:
        """ "Der AStA hatte … moniert", "Andreas Keith lässt … mitteilen": the speaker stands by the auxiliary."""
        for participle in self.words.participles:
            for match in participle.finditer(sentence):
                tokens = _tokens(sentence[: match.start()])
                auxiliary = next(
                    (
                        k
                        for k in range(len(tokens) - 1, -1, -1)
                        if tokens[k].lower() in self.words.auxiliaries
                    ),
                    None,
                )
                if auxiliary is None:
                    continue
                at = _offset_of(sentence, tokens, auxiliary)
                found = self.around(sentence, at, at + len(tokens[auxiliary]))
                if found is not None:
                    return found
        return None

    def around(self, sentence: str, start: int, end: int) -> Speaker | str | None:
        """The speaker next to a verb at sentence[start:end]. Right after a quotation or the clause it
        reports, the speaker follows the verb ("…", sagte Lucke / said Della / a déclaré le ministre);
        otherwise it comes first ("Lucke sagte", "Della said"). German also inverts after anything put first
        ("Am Mittwoch sagte Lucke"), so there a name after the verb is the second choice, and must be one
        the article used before if it is a single word ("wies Luckes Kritik zurück" names no speaker);
        English and French never do: after the verb stands what was said ("said Hartley had …") or to whom
        ("told DW")."""
        preceding = sentence[:start].rstrip()
        after_quote = bool(preceding) and preceding[-1] in ",;:" + _QUOTES
        verb = sentence[start:end].lower()
        if after_quote and verb not in self.words.subject_only:
            return self.phrase_after(sentence, end, adverbs=False) or self.phrase_before(sentence, start)
        if verb == "so":
            return None  # ", so Renkema" only: "So zum Beispiel …" attributes nothing
        found = self.phrase_before(sentence, start)
        if found is None and self.language == "de":
            found = self.phrase_after(sentence, end, strict=True)
        return found

    def previous_speaker(self) -> Speaker | None:
        """The person the last few sentences before attribute something to (whom 'he said' refers to)."""
        for sentence in reversed(_sentences(self.before)[-4:]):
            found = self.attributed(sentence)
            if isinstance(found, Speaker) and found.type == PERSON:
                return found
        return None

    # --- the noun phrase next to a cue ------------------------------------------------------------

    def phrase_after(
        self,
        sentence: str,
        position: int,
        *,
        after_cue: bool = False,
        strict: bool = False,
        adverbs: bool = True,
    ) -> Speaker | str | None:
        """The speaker named right after a verb or cue: "sagte Lucke", "said the spokesperson for X",
        "a déclaré le ministre X", "laut dem Apple-Analysten Ming-Chi Kuo", "selon l'Insee"."""
        words, language = self.words, self.language
        tokens = _tokens(sentence[position:])[:16]
        if not tokens:
            return None
        if language == "fr" and tokens[0] in {"-t-il", "-t-elle", "-ils", "-elles", "-il", "-elle"}:
            return PRONOUN
        if tokens[0].lower() in words.pronouns and not after_cue:
            return PRONOUN
        i = self.skip_adverbs(tokens) if language == "de" and not after_cue and adverbs else 0
        while i < len(tokens) and tokens[i].lower() in words.objects:
            i += 1  # "sagte uns", "told us"? (English never inverts after a quotation with one)
        i, article, definite, roles = self.head_of_phrase(tokens, i)
        name, j = self.name_from(tokens, i)
        last_role = max((n for n, t in enumerate(name[:-1]) if _is_role(t, words)), default=-1)
        if last_role >= 0:
            # "der Essener AfD-Vorsitzende Stefan Keuter": the role and what qualifies it come before the name.
            roles, name = roles + name[: last_role + 1], name[last_role + 1 :]
        elif name and _is_role(name[-1], words) and not self.organisation(name):
            roles, name = roles + name[-1:], []  # "die Stuttgarter Sportdirektorin": a role, no name
        if name:
            return self.name_after(
                tokens, name, roles, j, article=article, after_cue=after_cue, strict=strict
            )
        if roles:
            return self.role_after(tokens, i, roles, definite=definite)
        return None

    def skip_adverbs(self, tokens: list[str]) -> int:
        """ "erklärte bereits 2017 der damalige Kassenwart …": adverbs and dates before the subject (not a
        preposition: "schreibt auf Facebook" names where, not who). Where the subject starts."""
        words, i = self.words, 0
        while i < 3 and i + 1 < len(tokens) and (tokens[i][:1].islower() or tokens[i].isdigit()):
            lowered = tokens[i].lower()
            if self.is_article(tokens[i]) or lowered in words.pronouns or lowered in words.prepositions:
                break
            i += 1
        if i and not (
            self.is_article(tokens[i]) or self.is_name_word(tokens[i]) or _is_role(tokens[i], words)
        ):
            return 0
        return i

    def head_of_phrase(self, tokens: list[str], i: int) -> tuple[int, bool, bool, list[str]]:
        """Articles, roles and adjectives before a name: where the name starts, whether an article (a
        definite one) came first, and the roles."""
        words, language = self.words, self.language
        article = definite = False
        adjectives = 0
        roles: list[str] = []
        while i < len(tokens):
            token = tokens[i]
            if roles and token.lower() in LINKS.get(language, set()):
                break  # "der Kassenwart des Kreisverbandes": whose role, not a name
            if self.is_article(token):
                article = True
                definite = definite or token.lower() in words.definite
            elif _is_role(token, words):
                roles.append(token)
            elif (
                token[:1].islower()
                and (article or roles)
                and adjectives < 2
                and i + 1 < len(tokens)
                and language != "fr"  # French adjectives follow the noun
                and token.lower() not in words.prepositions
            ):
                adjectives += 1  # "dem bekannten Apple-Analysten", "the former mayor"
            else:
                break
            i += 1
        return i, article, definite, roles

    def name_after(
        self,
        tokens: list[str],
        name: list[str],
        roles: list[str],
        j: int,
        *,
        article: bool,
        after_cue: bool,
        strict: bool,
    ) -> Speaker | str | None:
        language = self.language
        if article and not roles and language == "de" and not self.organisation(name):
            if len(name) >= 2 and all(self.is_name_word(t) or _INITIAL.match(t) for t in name[1:]):
                # "dem gut informierten Insider Ming-Chi Kuo": the noun before the name says who they are.
                return self.speaker(name[1:], name[:1], strict=False)
            # After an article a German capitalised word is a noun: only an organisation ("die Polizei",
            # "der Europäische Rechnungshof") speaks, or the phrase in the genitive ("das Ziel der Initiative").
            return self.genitive(tokens, j)
        if language != "de" and not after_cue and j < len(tokens) and not _ends_phrase(tokens[j]):
            return None  # "said Hartley had …": Hartley is what was said about, not who said it
        # A German noun after "laut" is capitalised like a name ("laut Unterlagen"); after a speech verb
        # a capitalised word is a name ("sagt Renkema").
        return self.speaker(name, roles, strict=strict or (after_cue and language == "de"))

    def role_after(self, tokens: list[str], i: int, roles: list[str], *, definite: bool) -> Speaker | None:
        owner = self.owner_text(tokens, i)
        after_owner = self.owner_end
        if after_owner < len(tokens) and tokens[after_owner] == ",":
            # "der Kassenwart des Kreisverbandes, Klaus K., in …": a name between commas is the role's
            # (not "selon un proche de X, Jean-Paul Delevoye se montre …", where it starts the clause).
            named, end = self.name_from(tokens, after_owner + 1)
            if named and (end >= len(tokens) or tokens[end] in {",", "."}):
                return self.speaker(named, roles, strict=False)
        if definite and not owner:
            named_role = self.named_role(
                roles[-1]
            )  # "sagt der Anwalt" after "Rechtsanwalt Lutz S." was named
            if named_role is not None:
                return named_role
        return Speaker(name=" ".join(roles) + (f" {owner}" if owner else ""), type=PERSON)

    def named_role(self, role: str) -> Speaker | None:
        """The person the text before named with this role ("Rechtsanwalt Lutz S.", "Sportdirektorin Kim
        Renkema", "spokesman Tahir Della"), whom "der Anwalt" or "the spokesman" now refers to."""
        name_word = rf"(?:[{_UPPER}][\w’'-]+|[{_UPPER}]\.)"
        pattern = rf"(?<![\w-])[\w-]*{re.escape(role)}\s+({name_word}(?:\s+{name_word}){{0,2}})"
        matches = list(re.finditer(pattern, self.before, re.IGNORECASE))
        for match in reversed(matches):
            name = _tokens(match.group(1))
            name = [
                t for t in name if self.is_name_word(t) or _INITIAL.match(t) or _ABBREVIATION.fullmatch(t)
            ]
            if name and not self.organisation(name) and not _is_role(name[0], self.words):
                return Speaker(name=_join(name), type=PERSON)
        return None

    def phrase_before(self, sentence: str, position: int) -> Speaker | str | None:
        """The speaker named right before a verb: "Lucke sagte", "Onwurah said", "Jo Grady, the UCU general
        secretary, said", "Die Polizei teilte mit", "le président Alain Fuchs déclare"."""
        tokens = _tokens(sentence[:position])
        if not tokens:
            return None
        if len(tokens) >= 2 and tokens[-1] in _QUOTES and tokens[-2] == ",":
            tokens = tokens[:-1]  # `"The Case for Colonialism," argued`: the comma inside the quotation
        ends = [len(tokens)]
        if tokens[-1] == ",":
            # An apposition between commas: "Jo Grady, the UCU general secretary, (who …,) said": the name
            # ends at one of the earlier commas and starts the clause.
            commas = [k for k, t in enumerate(tokens) if t == ","][:-1]
            ends = [k for k in commas if len(tokens) - k <= 30]
            if not ends:
                return None
        for end in ends:
            found = self.subject_ending_at(tokens, end)
            if found is not _NOT_HERE:
                return found
        return None

    def subject_ending_at(self, tokens: list[str], end: int) -> Speaker | str | None:
        """The speaker whose phrase ends at tokens[end] (before the verb, or before an apposition's comma);
        _NOT_HERE when the next candidate end should be tried."""
        words, language = self.words, self.language
        if end and tokens[end - 1].lower() in words.pronouns:
            return PRONOUN if self.clause_start(tokens, end - 1) else _NOT_HERE
        name, k = self.name_before(tokens, end)
        if not name:
            return self.role_before(tokens[:end]) if end == len(tokens) else _NOT_HERE
        owner_of = k - 1 if k > 0 and self.is_article(tokens[k - 1]) else k
        if owner_of > 0 and tokens[owner_of - 1].lower() in words.prepositions:
            # "un responsable présent à l'AG a indiqué": a name after a preposition is not the subject.
            found = self.role_before(tokens[:end]) if end == len(tokens) else None
            return _NOT_HERE if found is None else found
        if owner_of >= 2 and tokens[owner_of - 1].lower() in LINKS.get(language, set()):
            if _is_role(tokens[owner_of - 2], words):
                # "a spokesperson for the Department of Health said": the role is the speaker.
                return Speaker(name=_join(tokens[owner_of - 2 : end]), type=PERSON)
        roles = [t for t in tokens[max(0, k - 2) : k] if _is_role(t, words)]
        while len(name) > 1 and _is_role(name[0], words):
            roles.append(name[0])  # "FDP-Chef Christian Lindner", "Premierminister Boris Johnson"
            name, k = name[1:], k + 1
        preceded_by_article = k > 0 and self.is_article(tokens[k - 1])
        if language == "de" and preceded_by_article and not roles:
            if not self.organisation(name) and not _is_role(name[-1], words):
                return _NOT_HERE  # "Der Bericht zeigt": a noun, not a speaker
        if len(name) == 1 and _is_role(name[0], words):
            return Speaker(name=name[0], type=PERSON)
        if self.clause_start(tokens, k) or roles or preceded_by_article:
            found = self.speaker(name, roles, strict=k == 0 or language == "de")
            if found is not None:
                return found
        return _NOT_HERE

    def role_before(self, tokens: list[str]) -> Speaker | None:
        """A role without a name as the subject: "a spokesperson for the … (UCEA) said", "the officials
        said", "Ein Regierungssprecher bekräftigte"."""
        for k in range(len(tokens) - 1, max(-1, len(tokens) - 16), -1):
            if _is_role(tokens[k], self.words):
                owner = self.owner_text(tokens, k + 1)
                rest = tokens[k + 1 :]
                if rest and not owner and self.language == "fr" and rest[0][:1].islower():
                    # "un responsable syndical académique présent à l'AG a indiqué": adjectives follow.
                    adjectives = []
                    for token in rest:
                        if (
                            not token[:1].isalpha()
                            or not token[:1].islower()
                            or token in self.words.prepositions
                        ):
                            break
                        adjectives.append(token)
                    return Speaker(name=_join([tokens[k], *adjectives]), type=PERSON)
                if rest and not owner:
                    if (
                        len(rest) > 5
                        or not all(t[:1].isalpha() for t in rest)
                        or rest[0].lower() not in self.words.prepositions
                    ):
                        return None  # the role is not the subject: "the UCU general secretary, said …"
                    owner = _join(rest)  # "officials at the institution said"
                return Speaker(name=tokens[k] + (f" {owner}" if owner else ""), type=PERSON)
        return None

    def genitive(self, tokens: list[str], i: int) -> Speaker | None:
        """The owner after a head noun: "das Ziel der Initiative" → the Initiative."""
        if i >= len(tokens) or tokens[i].lower() not in LINKS.get(self.language, set()):
            return None
        j = i + 1
        while j < len(tokens) and j < i + 4 and (self.is_article(tokens[j]) or tokens[j][:1].islower()):
            j += 1
        name, _ = self.name_from(tokens, j)
        return self.speaker(name, [], strict=False) if name and self.organisation(name) else None

    def owner_text(self, tokens: list[str], i: int) -> str:
        """ "for the Universities and Colleges Employers' Association (UCEA)", "des Bundestages", "de l'UNL";
        `owner_end` says where it ended."""
        self.owner_end = i
        if i >= len(tokens) or tokens[i].lower() not in LINKS.get(self.language, set()):
            return ""
        j = i + 1
        while j < len(tokens) and j < i + 4 and (self.is_article(tokens[j]) or tokens[j][:1].islower()):
            j += 1
        name, end = self.name_from(tokens, j)
        if not name:
            return ""
        if end + 2 < len(tokens) and tokens[end] == "(" and tokens[end + 2] == ")":
            name = name + ["(" + tokens[end + 1] + ")"]
            end += 3
        self.owner_end = end
        return _join(tokens[i:j] + name)

    # --- names ----------------------------------------------------------------------------------------

    def is_article(self, token: str) -> bool:
        lowered = token.lower()
        return lowered in self.words.articles or (lowered[-1:] in "'’" and lowered in self.words.articles)

    def name_from(self, tokens: list[str], i: int) -> tuple[list[str], int]:
        """A run of capitalised words from token i (with particles, initials, hyphens, and "und"/"and"
        between capitalised words); the run and where it ended."""
        name: list[str] = []
        while i < len(tokens) and len(name) < 7:
            token = tokens[i]
            following = tokens[i + 1] if i + 1 < len(tokens) else ""
            if self.is_name_word(token) or (name and _INITIAL.match(token)):
                name.append(token)
            elif (
                token in PARTICLES
                and self.is_name_word(following)
                and (token not in SECOND_PARTICLES or bool(name and name[-1] in PARTICLES))
            ):
                name.append(token)  # "Kris de Decker", "de Decker"
            elif name and token.lower() in JOINERS and self.is_name_word(following):
                name.append(token)  # "Post and Courier"
            elif (
                name
                and token.lower() in ORG_LINKS
                and self.organisation(name)
                and self.is_name_word(following)
            ):
                name.append(token)  # "Office for National Statistics", "Department of Health"
            else:
                break
            i += 1
        return name, i

    def name_before(self, tokens: list[str], end: int) -> tuple[list[str], int]:
        k = end
        while k > 0 and end - k < 7:
            token = tokens[k - 1]
            previous = tokens[k - 2] if k >= 2 else ""
            if self.is_name_word(token) or _INITIAL.match(token):
                k -= 1
            elif (
                k < end
                and token.lower() in ORG_LINKS
                and self.is_name_word(previous)
                and self.organisation([previous])
            ):
                k -= 1  # "the Department of Health said"
            elif k < end and token in PARTICLES and (token not in SECOND_PARTICLES or previous in PARTICLES):
                k -= 1
            elif k < end and token.lower() in JOINERS and self.is_name_word(previous):
                k -= 1
            else:
                break
        name = tokens[k:end]
        while name and name[0].lower() in JOINERS:
            name, k = name[1:], k + 1
        return name, k

    def is_name_word(self, token: str) -> bool:
        if not _CAPITALISED.match(token) or token in NOT_NAMES.get(self.language, ()):
            return False
        return any(ch.isalpha() for ch in token)

    def organisation(self, name: list[str]) -> bool:
        return any(_is_organisation_word(t, self.words, self.language) for t in name)

    def clause_start(self, tokens: list[str], k: int) -> bool:
        if k == 0:
            return True
        previous = tokens[k - 1]
        return previous in {",", ";", ":", "–", "—", "(", *_QUOTES} or previous.lower() in CLAUSE_WORDS

    def speaker(self, name: list[str], roles: list[str], *, strict: bool) -> Speaker | None:
        """A Speaker from a name's words, if they plausibly name one. With `strict` (a sentence's first
        word, a German capitalised word where a noun could stand) a single word must be an organisation,
        follow a role, or be a name the article used before. A surname alone becomes the full name used
        before."""
        name = [t for t in name if t not in "()"]
        if name and name[-1].endswith(".") and not re.fullmatch(r"(?:\w\.)+", name[-1]):
            name[-1] = name[-1].rstrip(".")  # the sentence's full stop, not "K." or "F.A.S."
        while name and name[-1].lower() in PARTICLES | JOINERS:
            name.pop()
        if not name or len(_join(name)) < 2:
            return None
        organisation = self.organisation(name) or bool(roles and self.organisation(roles[-1:]))
        if len(name) == 1 and not roles and not organisation:
            if strict and not self.used_before(name[0]):
                return None
            full = self.full_name(name[0])
            if full:
                name = full
        return Speaker(name=_join(name), type=ORGANIZATION if organisation else PERSON)

    def used_before(self, word: str) -> bool:
        return bool(re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", self.before))

    def full_name(self, surname: str) -> list[str] | None:
        """ "Lucke" → "Bernd Lucke" when the text before (or this sentence) names him in full."""
        text = f"{self.before} {getattr(self, 'sentence', '')}"
        pattern = rf"((?:[{_UPPER}][\w’'-]+|[{_UPPER}]\.)\s+(?:(?:de|von|van|der|la|le)\s+)?){re.escape(surname)}(?![\w-])"
        for match in reversed(list(re.finditer(pattern, text))):
            first = match.group(1).split()
            if first and self.is_name_word(first[0]) and not _is_role(first[0], self.words):
                if not self.organisation(first):
                    return [*first, surname]
        return None


LINKS = {"de": {"der", "des", "von", "vom"}, "en": {"for", "of", "at"}, "fr": {"de", "du", "des", "d'", "d’"}}
ORG_LINKS = {"for", "of", "on", "de", "du", "des", "d'", "d’", "für", "zur", "zum"}
CLAUSE_WORDS = JOINERS | {
    "but",
    "aber",
    "mais",
    "doch",
    "while",
    "als",
    "wie",
    "as",
    "que",
    "qu'",
    "qu’",
    "dass",
    "auch",
    "sowohl",
}


# What may follow a speaker named after the verb in English and French: the end, a comma ("says Di Li,
# the chief scientist"), or when and where it was said.
FOLLOWERS = {
    "on",
    "in",
    "at",
    "to",
    "yesterday",
    "today",
    "last",
    "this",
    "recently",
    "earlier",
    "later",
    "when",
    "while",
    "after",
    "before",
    "during",
    "hier",
    "mardi",
    "lundi",
    "mercredi",
    "jeudi",
    "vendredi",
    "samedi",
    "dimanche",
    "lors",
    "devant",
    "au",
    "à",
    "dans",
    "en",
    "ce",
    "cette",
}


def _offset_of(text: str, tokens: list[str], k: int) -> int:
    """Where token k of `_tokens(text)` starts in `text`."""
    position = 0
    for token in tokens[:k]:
        position = text.index(token, position) + len(token)
    return text.index(tokens[k], position)


def _ends_phrase(token: str) -> bool:
    return not any(ch.isalnum() for ch in token) or token.lower() in FOLLOWERS


def _join(tokens: list[str]) -> str:
    text = " ".join(tokens)
    for a, b in ((" ’", "’"), (" '", "'"), ("’ ", "’"), ("' ", "'"), ("( ", "("), (" )", ")"), (" - ", "-")):
        text = text.replace(a, b)
    return text.strip(" ,;:")


def _is_role(token: str, words: Words) -> bool:
    lowered = token.lower()
    if lowered in words.roles:
        return True
    # German compounds: "FDP-Chef", "Apple-Analysten", "Sportdirektorin", "Regierungssprecher"
    return bool(words.role_suffixes) and lowered.endswith(words.role_suffixes) and len(lowered) > 4


def _is_organisation_word(token: str, words: Words, language: str) -> bool:
    lowered = token.lower().strip(".,")
    if lowered in words.organisation:
        return True
    if language == "de" and any(lowered.endswith(w) for w in words.organisation if len(w) >= 4):
        return True  # "Wissenschaftsbehörde", "Landgericht", "Bundesinnenministerium"
    letters = [c for c in token if c.isalpha()]
    capitals = sum(1 for c in letters if c.isupper())
    return len(letters) >= 2 and capitals >= 2 and capitals >= len(letters) / 2  # FDP, UCEA, AStA, SPD


# --- bylines ------------------------------------------------------------------------------------------

_BYLINE_SEPARATORS = re.compile(r"\s*(?:;|,|/|\||&|\band\b|\bund\b|\bet\b)\s*", re.IGNORECASE)
_BYLINE_PREFIX = re.compile(r"^(?:by|von|par|text|texte|autor|author)\s*:?\s+", re.IGNORECASE)


def authors_of(byline: str, *, language: str) -> list[Speaker]:
    """The people and organisations of an article's byline, each on its own:
    "Frankfurter Allgemeine Zeitung GmbH; Benjamin Fischer; Marcus Theurer" → one Organization, two Persons."""
    words = words_for(language) or words_for("en")
    found: list[Speaker] = []
    for part in _BYLINE_SEPARATORS.split(byline or ""):
        name = _BYLINE_PREFIX.sub("", part.strip(" .·-–—")).strip()
        if len(name) < 2 or not any(ch.isalpha() for ch in name) or any(s.name == name for s in found):
            continue
        tokens = _tokens(name)
        organisation = (
            words is not None and any(_is_organisation_word(t, words, language) for t in tokens)
        ) or any(
            _is_organisation_word(t, other_words, other)
            for other in ("de", "en", "fr")
            if (other_words := words_for(other)) is not None
            for t in tokens
        )
        found.append(Speaker(name=name, type=ORGANIZATION if organisation else PERSON))
    return found
