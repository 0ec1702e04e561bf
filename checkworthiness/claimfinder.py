"""Find check-worthy claims in an article's main text: segment, exclude non-claims, score, merge duplicates.

Every claim keeps exact offsets into the text it was found in, every place it occurs, a calibrated score,
the signals that explain the score (or why a sentence was excluded), and the context a reviewer needs.
Plain Python, no Django import.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from checkworthiness.language_gate import not_language
from checkworthiness.model import get_model, head_for
from checkworthiness.signals import detect_signals
from extraction.segmentation import Sentence, split_sentences

# Chosen on the tuning articles of eval/claims-dev (see docs/quality.md); the pipeline passes its setting.
DEFAULT_THRESHOLD = 0.15
ANCHOR_SIGNALS = ("number", "percent", "money", "quantity", "date", "entity")
_EXCLUDED_SCORE_CAP = 0.05

_I = re.IGNORECASE
_BYLINE = re.compile(
    r"^\s*(?:von|by|par|text|texte|autor(?:in)?|author|auteur|written by|écrit par|interview|"
    r"redaktion|rédaction|reporting by|edited by|stand|updated|mis à jour|publié le|veröffentlicht|aktualisiert"
    r"|posted|published)\b[\s:]",
    _I,
)
_CAPTION = re.compile(
    r"^\s*(?:foto|fotos|bild|bilder|photo|photos|image|images|cr[ée]dits?(?: photos?)?|quelle|source|grafik|video|vidéo)\s*:"
    r"|©|\(c\)\s|getty images|imago\b|picture[- ]alliance|\bdpa\b\s*$|/\s*(?:dpa|afp|reuters|ap)\s*\)?\s*$"
    r"|^\s*\(?(?:foto|photo|bild)\b",
    _I,
)
_NAVIGATION = re.compile(
    r"^\s*(?:mehr zum thema|mehr dazu|lesen sie (?:auch|mehr|hier)|auch interessant|das könnte sie auch|"
    r"read more|read also|related|see also|more on this|continue reading|lire aussi|à lire aussi|a lire aussi|"
    r"lire la suite|voir aussi|sur le même sujet|weiterlesen|zum artikel|zur startseite|zurück|back to top|"
    r"teilen|share|tweet|drucken|print|empfehlen|top\b|nächster artikel|next article|previous article|"
    r"article suivant|mehr\s*(?:»|>)|alle artikel)",
    _I,
)
_NAV_ANYWHERE = re.compile(r"(?:weiterlesen|read more|lire la suite|mehr lesen)\s*(?:[»>…]|\.\.\.)?\s*$", _I)
_PROMPT = re.compile(
    r"newsletter|abonnier|abonnez|abonnement|subscribe|subscription|cookie|datenschutz|privacy polic|"
    r"inscrivez-vous|s'inscrire|sign up|melden sie sich an|jetzt registrieren|e-mail-adresse|adresse e-mail|"
    r"email address|push-nachrichten|notifications|javascript",
    _I,
)
_ADVERT = re.compile(
    r"^\s*(?:anzeige|werbung|sponsored|advertisement|publicité|partenariat|gesponsert)\b|\btickets?\b|"
    r"\bjetzt (?:anmelden|buchen|kaufen|sichern|bestellen|testen)\b|\bgutschein|\brabatt|\bpromo(?:code)?\b|"
    r"\bcode promo\b|\bbuy now\b|\bbook now\b|\bregister now\b|\bréservez\b|\bbilletterie\b|\bin partnership\b|"
    r"\bjetzt im handel\b|\bim shop\b|\bversandkostenfrei\b|\bfree shipping\b|"
    # the outlet advertising its own services (live tickers, apps, alerts)
    r"\bimmer auf dem (?:aktuellen|neuesten|laufenden) stand\b|\bbestens informiert\b|\bstay up to date\b|"
    r"\bnever miss\b|\brestez informés?\b|\bne manquez rien\b",
    _I,
)
_COMMENT = re.compile(
    r"^\s*(?:\d+\s+)?(?:kommentare?|comments?|commentaires?|antworten|reply|répondre|leserkommentare|"
    r"diskutieren sie mit|kommentar verfassen|leave a comment|laisser un commentaire|gefällt mir)\b"
    r"|\b(?:schreibt|sagt|says|dit|a écrit)\s*:\s*$|^\s*\S+\s+(?:am|on|le)\s+\d{1,2}[./]\s?\d{1,2}[./]\s?\d{2,4}"
    r"(?:\s+(?:um|at|à)\s+\d{1,2}[:.h]\d{2})?",
    _I,
)
# Both lexicons are lowercase: searching the lowercased sentence without IGNORECASE is several times faster.
_PROMPT_LOWER = re.compile(_PROMPT.pattern)
_ADVERT_LOWER = re.compile(_ADVERT.pattern)
_TERMINAL = re.compile(r"[.!?…:;][\"“”»)']*\s*$")
_WORD = re.compile(r"[^\W_]+")


@dataclass
class ScoredSentence:
    sentence: Sentence
    score: float
    model_score: float
    signals: dict[str, Any]
    excluded: str | None


@dataclass
class CandidateClaim:
    text: str
    start: int
    end: int  # text == article_text[start:end]
    spans: list[tuple[int, int]]  # every place it occurs (duplicates merged); spans[0] == (start, end)
    score: float  # 0..1 calibrated
    signals: dict[str, Any]
    context: dict[str, str] = field(default_factory=dict)
    language: str = ""


def exclusion_reason(sentence: Sentence, signals: dict[str, list[str]], *, title: str = "") -> str | None:
    """Say why a sentence is not a claim (question, heading, byline, caption, ...), or None if it may be one."""
    text = sentence.text
    words = _WORD.findall(text)
    if "question" in signals:
        return "question"
    if _CAPTION.search(text):
        return "caption_or_credit"
    if _NAVIGATION.match(text) or _NAV_ANYWHERE.search(text):
        return "navigation"
    if _COMMENT.search(text):
        return "comment_section"
    lowered = text.lower()
    if _PROMPT_LOWER.search(lowered):
        return "newsletter_or_cookie_prompt"
    if _ADVERT_LOWER.search(lowered):
        return "advert_or_promotion"
    if _BYLINE.match(text) and len(words) <= 12:
        return "byline"
    if "imperative" in signals:
        return "imperative"
    if len(words) < 4:
        return "too_short"
    stand_alone_line = sentence.paragraph_size == 1
    # The text's first paragraph is the lead (the title is not part of the text); a standfirst often has no
    # full stop ("Report claims higher education institutions have created …") but is no heading.
    lead = sentence.paragraph == 0 and len(words) >= 8
    if stand_alone_line and not lead and not _TERMINAL.search(text):
        anchored = sum(1 for name in ("number", "percent", "money", "quantity") if name in signals)
        if not (anchored and len(words) >= 6):
            return "heading"
    if title and _normalise(text) == _normalise(title) and not _TERMINAL.search(text):
        return "heading"
    anchors = [name for name in ANCHOR_SIGNALS if name in signals]
    subjective = [name for name in ("hedge", "opinion", "first_person") if name in signals]
    if subjective and not anchors and "attribution" not in signals:
        return "opinion_without_checkable_core"
    return None


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_WORD.findall(text))


def score_sentences(text: str, *, language: str, title: str = "") -> list[ScoredSentence]:
    """Score every sentence of a text; excluded sentences keep their reason and a score capped near 0."""
    model = get_model()
    segment_language = language if language in ("de", "en", "fr") else "en"
    scored: list[ScoredSentence] = []
    for sentence in split_sentences(text, language=segment_language):
        signals = detect_signals(sentence.text, language)
        model_score = model.score(sentence.text, language, signals)
        excluded = exclusion_reason(sentence, signals, title=title) or not_language(sentence.text, language)
        score = min(model_score, _EXCLUDED_SCORE_CAP) if excluded else model_score
        scored.append(ScoredSentence(sentence, round(score, 4), round(model_score, 4), signals, excluded))
    return scored


def _near_duplicate(a: set[str], b: set[str]) -> bool:
    if not a or not b:
        return False
    overlap = len(a & b)
    return overlap / len(a | b) >= 0.8 or (min(len(a), len(b)) >= 6 and overlap / min(len(a), len(b)) >= 0.9)


def find_claims(
    text: str, *, language: str, title: str = "", threshold: float = DEFAULT_THRESHOLD
) -> list[CandidateClaim]:
    """Return claims scoring at least `threshold`, ordered by start, with duplicates merged into one claim."""
    scored = score_sentences(text, language=language, title=title)
    claims: list[CandidateClaim] = []
    token_sets: list[set[str]] = []
    for index, item in enumerate(scored):
        if item.excluded or item.score < threshold:
            continue
        sentence = item.sentence
        tokens = set(_normalise(sentence.text).split())
        duplicate_of = next((i for i, seen in enumerate(token_sets) if _near_duplicate(tokens, seen)), None)
        if duplicate_of is not None:
            claim = claims[duplicate_of]
            claim.spans.append((sentence.start, sentence.end))
            claim.score = max(claim.score, item.score)
            continue
        signals: dict[str, Any] = {name: items for name, items in item.signals.items()}
        signals["model"] = item.model_score
        signals["model_head"] = head_for(language)
        signals["excluded"] = None
        claims.append(
            CandidateClaim(
                text=sentence.text,
                start=sentence.start,
                end=sentence.end,
                spans=[(sentence.start, sentence.end)],
                score=item.score,
                signals=signals,
                context={
                    "before": scored[index - 1].sentence.text if index > 0 else "",
                    "after": scored[index + 1].sentence.text if index + 1 < len(scored) else "",
                    "title": title,
                },
                language=language,
            )
        )
        token_sets.append(tokens)
    return claims
