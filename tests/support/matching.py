"""Claims as extraction stores them for matching: fingerprint, band keys and the encoder's vector."""

from __future__ import annotations

import encoder
from claims.matching import match_keys
from claims.models import Article, Claim
from tests.factories import make_article, make_claim
from textkit.similarity import fingerprint

EN = "The city council approved a budget of 12 million euros for new cycle lanes on Monday."
EN_EDITED = "On Monday, the City Council approved a 12 million euro budget for new cycle lanes!"
DE = "Der Stadtrat hat am Montag ein Budget von 12 Millionen Euro für neue Radwege beschlossen."
FR = "Le conseil municipal a approuvé lundi un budget de 12 millions d'euros pour de nouvelles pistes cyclables."
DE_OTHER_FIGURE = "Der Stadtrat hat am Montag ein Budget von 15 Millionen Euro für neue Radwege beschlossen."
DE_UNRELATED = "Eisbären sterben wegen der globalen Erwärmung in den nächsten Jahrzehnten aus."
EN_UNRELATED = "Polar bears are going extinct because of global warming."


def stored_claim(article: Article | None = None, *, text: str = EN, language: str = "en", **fields) -> Claim:
    """A claim with what extraction stores for matching (claims/stages.py)."""
    article = article or make_article(language=language)
    enc = encoder.get_encoder()
    return make_claim(
        article,
        text=text,
        language=language,
        fingerprint=fingerprint(text),
        match_keys=match_keys(text, language),
        embedding=encoder.to_bytes(enc.encode([text], kind="query")[0]),
        embedding_model=enc.name,
        **fields,
    )
