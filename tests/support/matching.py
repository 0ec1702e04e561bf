"""Claims as extraction stores them for matching: fingerprint, band keys and the encoder's vector."""

from __future__ import annotations

import json
import re

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

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


# Eleven English claims on one subject (EN and ten others), for the neighbourhood the margin rule of
# claims/vectors.py compares with; the German texts below were checked against them with the real encoder.
SAME_SUBJECT_EN = [
    EN,
    "The mayor said the new cycle lanes will be finished before the end of next year.",
    "Cyclists in the city complained that the existing lanes are too narrow and badly lit.",
    "The opposition criticised the council for cutting the bus budget to pay for cycle lanes.",
    "Traffic accidents involving bicycles fell sharply in the city last year.",
    "The city plans to ban cars from the old town centre on weekends.",
    "Shop owners fear that fewer parking spaces will drive customers away.",
    "A survey found that most residents support more cycle lanes.",
    "The council also voted to plant new trees along the main avenue.",
    "Construction work on the first cycle lane starts in spring.",
    "The regional government will pay half of the cost of the cycle lanes.",
]
# SAME_SUBJECT_EN[2] translated: centred cosine ~0.56, below VECTOR_THRESHOLD, far above its neighbours
DE_LOOSE = "Radfahrer beklagen, dass die Radwege in der Stadt zu schmal und schlecht beleuchtet sind."
# Other claims on the same subject (none of the eleven says them): centred cosines below VECTOR_FLOOR
DE_SAME_SUBJECT = [
    "Der Stadtrat hat über den Haushalt für den Radverkehr diskutiert.",
    "In der Altstadt gibt es zu wenige Fahrradständer.",
]


# Words for the claims of young_database(): enough of them that no two texts share many band keys.
_SUBJECTS = "council ministry hospital school airport court police museum port bank".split()
_VERBS = ["approved", "rejected", "announced", "delayed", "cut", "doubled", "reviewed", "published"]
_OBJECTS = ["budget", "plan", "report", "contract", "tariff", "survey", "reform", "audit", "loan"]


def young_database(count: int = 3000, *, with_vectors: bool = False) -> None:
    """`count` stored claims, as a young deployment holds them: fingerprints and band keys of distinct texts
    (and random unit vectors in match_vector when `with_vectors`), the table analysed so that the planner
    knows its size."""
    articles = [make_article() for _ in range(10)]
    claims = []
    for i in range(count):
        text = (
            f"The {_SUBJECTS[i % 10]} of district {i} {_VERBS[i % 8]} a {_OBJECTS[i % 9]} "
            f"worth {i * 7 % 1000} thousand euros in {1990 + i % 35}."
        )
        claims.append(
            Claim(
                article=articles[i % 10],
                text=text,
                start=i * 200,
                end=i * 200 + len(text),
                spans=[[i * 200, i * 200 + len(text)]],
                language="en",
                score=0.9,
                fingerprint=fingerprint(text),
                match_keys=match_keys(text, "en"),
            )
        )
    Claim.objects.bulk_create(claims, batch_size=1000)
    with connection.cursor() as cursor:
        if with_vectors:
            cursor.execute(
                "UPDATE claims_claim SET match_vector = l2_normalize(v.vec) FROM ("
                "  SELECT c.id, array_agg(random() - 0.5)::vector AS vec"
                "    FROM claims_claim c, generate_series(1, 384) GROUP BY c.id) AS v"
                " WHERE claims_claim.id = v.id"
            )
        cursor.execute("ANALYZE claims_claim")


def indexes_read(call) -> set[str]:
    """The indexes that the plans of the SELECT statements `call` runs read: each statement EXPLAINed as it
    ran (parameters in place), under the settings (factcheck.planner) in force when it ran."""
    with CaptureQueriesContext(connection) as ran:
        call()
    found: set[str] = set()
    with transaction.atomic(), connection.cursor() as cursor:
        for query in ran.captured_queries:
            sql = query["sql"]
            if sql.startswith("SET") or "set_config(" in sql:
                cursor.execute(sql)
            elif sql.lstrip().upper().startswith("SELECT"):
                cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
                found |= set(re.findall(r'"Index Name": "([^"]+)"', json.dumps(cursor.fetchone()[0])))
        transaction.set_rollback(True)
    return found
