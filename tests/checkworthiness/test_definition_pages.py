"""Pages written for these tests, labelled by hand to the definition (docs/labelling-guide.md): what the claim
finder offers from an interview full of opinions and forecasts, and from a page of teasers and self-description.

Each sentence carries its own label here; the assertions compare what find_claims() offers with those labels.
The real model (checkworthiness/artefacts/) and the real encoder score them.
"""

from checkworthiness.claimfinder import find_claims

# (sentence, label): "fact" is a verifiable statement of fact; "opinion", "forecast" and "question" are not.
INTERVIEW = [
    ("Frau Berger, Sie leiten seit 2019 den Verband der Autozulieferer in Baden-Württemberg.", "fact"),
    ("Wie geht es der Branche?", "question"),
    ("Ich finde, die Lage ist wirklich dramatisch.", "opinion"),
    ("Die Autoindustrie wird in zehn Jahren nicht mehr wiederzuerkennen sein.", "forecast"),
    ("Wir glauben, dass die Politik die falschen Prioritäten setzt.", "opinion"),
    ("Im vergangenen Jahr haben unsere Mitgliedsfirmen 12.000 Stellen abgebaut.", "fact"),
    ("Was erwarten Sie von der Landesregierung?", "question"),
    ("Ich hoffe, dass sie endlich zuhört.", "opinion"),
    ("Ohne neue Förderprogramme werden viele Betriebe schließen müssen.", "forecast"),
    ("Das wäre ein schwerer Fehler für das ganze Land.", "opinion"),
    ("Die Elektromobilität wird sich am Ende durchsetzen, davon bin ich überzeugt.", "forecast"),
    ("Der Verband hat im März 2024 eine Studie mit dem Fraunhofer-Institut veröffentlicht.", "fact"),
    ("Ehrlich gesagt halte ich die Debatte für völlig überhitzt.", "opinion"),
    ("Wahrscheinlich werden die Preise weiter steigen.", "forecast"),
    ("Die Exporte der Zulieferer sanken 2023 laut Statistischem Landesamt um 8 Prozent.", "fact"),
    ("Das ist eine gute Frage, aber eine schwierige.", "opinion"),
    ("Die Zukunft gehört denen, die jetzt mutig investieren.", "opinion"),
]

INTERVIEW_EN = [
    ("You have run the suppliers' association since 2019.", "fact"),
    ("I think the situation is really dramatic.", "opinion"),
    ("The car industry will be wiped out within a decade.", "forecast"),
    ("Our member firms cut 12,000 jobs last year.", "fact"),
    ("We believe the government has the wrong priorities.", "opinion"),
    ("Prices will probably keep rising next year.", "forecast"),
    ("Honestly, the whole debate is overheated.", "opinion"),
    ("Electric cars are going to win in the end, I am convinced of it.", "forecast"),
    ("Exports fell by 8 percent in 2023, according to the statistics office.", "fact"),
    ("That would be a terrible mistake for the whole country.", "opinion"),
]

PROMOTIONS = [
    ("En vidéo, 4 aliments à privilégier pour bien dormir.", "fr", "teaser"),
    ("Le gouvernement a annoncé mardi une hausse de 4 % du budget de la santé pour 2025.", "fr", "fact"),
    ("Der Beitrag ist heute Abend um 21 Uhr im ZDF-Magazin Frontal 21 zu sehen.", "de", "teaser"),
    ("CORRECTIV ist das erste gemeinnützige Recherchezentrum im deutschsprachigen Raum.", "de", "self"),
    ("Die Staatsanwaltschaft Essen hat im Mai 2024 Anklage gegen drei Manager erhoben.", "de", "fact"),
    ("Watch the full interview tonight at 9pm on BBC Two.", "en", "teaser"),
    ("We are an independent, non-profit newsroom funded by our readers.", "en", "self"),
    ("The council spent 3.2 million pounds on road repairs in 2023, its accounts show.", "en", "fact"),
]


def offered(sentences: list[tuple[str, str]], language: str) -> dict[str, str]:
    text = "\n\n".join(sentence for sentence, _ in sentences)
    labels = dict(sentences)
    return {claim.text: labels[claim.text] for claim in find_claims(text, language=language)}


def test_an_interview_of_opinions_and_forecasts_offers_mostly_facts():
    for sentences, language in ((INTERVIEW, "de"), (INTERVIEW_EN, "en")):
        claims = offered(sentences, language)
        not_claims = [text for text, label in claims.items() if label != "fact"]
        facts = [text for text, label in sentences if label == "fact"]
        # the facts are offered, and opinions/forecasts are at most a minority of what is offered
        assert sum(1 for text in facts if text in claims) >= len(facts) - 1, (language, claims)
        assert len(not_claims) * 2 < len(claims), (language, claims)


def test_an_interview_offers_far_fewer_claims_than_it_has_sentences():
    for sentences, language in ((INTERVIEW, "de"), (INTERVIEW_EN, "en")):
        assert len(offered(sentences, language)) <= len(sentences) // 2


def test_teasers_and_the_outlets_self_description_are_not_offered():
    for language in ("de", "en", "fr"):
        page = [(text, label) for text, lang, label in PROMOTIONS if lang == language]
        claims = offered(page, language)
        assert [text for text, label in claims.items() if label != "fact"] == [], (language, claims)
        assert [text for text, label in page if label == "fact"] == list(claims), (language, claims)


def test_a_claim_explains_its_score_by_named_signals_and_meaning():
    [claim] = find_claims(
        "Die Exporte der Zulieferer sanken 2023 laut Statistischem Landesamt um 8 Prozent.", language="de"
    )
    factors = claim.signals["model_factors"]
    assert "meaning" in factors and any(name.startswith("s:") for name in factors)
    assert factors["s:percent"] > 0 if "s:percent" in factors else factors["s:number"] > 0
    assert claim.vector is not None and claim.vector.shape == (384,)
