"""Scratch experiments for check-worthiness v3 (issue 13): reads only cached vectors, never encodes.

Judged on CheckThat! dev (fit on train + CT22 + tuning news; threshold = best F1 on dev) and out-of-fold by
article over the tuning news (precision at 95% core recall). Never reads devtest or the held-out articles.
Run (after `manage.py train_checkworthiness --cache-dir DIR` has encoded what it needs into DIR):
    python -m training.checkworthiness_choices DIR lr:0.03:12232:1 lr:0.1:12232:1 mlp:0.001:12232:0
each experiment KIND:C:CHECKTHAT_LIMIT:NEWS (KIND lr, mlp or hgb; NEWS 1 adds the out-of-fold news figures);
NEWS_WEIGHT in the environment sets the news weight (default 3). The table in docs/quality.md came from it.
"""

import json
import os
import pickle
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
import django  # noqa: E402

django.setup()

import hashlib  # noqa: E402

import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402
from sklearn.model_selection import StratifiedGroupKFold  # noqa: E402

import training.checkworthiness as T  # noqa: E402
from encoder import get_encoder  # noqa: E402
from training.encoding_cache import _key  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CACHE = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../checkworthiness-cache")
NEWS_PKL = CACHE / "news_rows.pkl"
DATA = Path(settings.FACTCHECK_EVAL_DATA_DIR) / "checkworthiness"


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


def main():
    T.NEWS_WEIGHT = float(os.environ.get("NEWS_WEIGHT", "3"))
    rows = T.training_rows(DATA, news_rows(), seed=13, checkthat_limit=0, tweet_limit=0)
    name, store = load_store()
    keep = [r for r in rows if _key(name, "query", r.text) in store]
    # CheckThat! train order is the seeded shuffle, so the first N available approximate "the first N"
    print("available", {s: sum(r.source == s for r in keep) for s in dict.fromkeys(r.source for r in rows)})
    vec = np.stack([store[_key(name, "query", r.text)] for r in keep]).astype(np.float64)
    x, vz = T.featurise(keep, vec)
    y = np.array([r.label for r in keep])
    w = np.array([r.weight for r in keep])
    src = np.array([r.source for r in keep])
    lang = np.array([r.language for r in keep])
    return keep, x, y, w, src, lang


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


def fit(model, x, y, w):
    try:
        return model.fit(x, y, sample_weight=w)
    except TypeError:
        return model.fit(x, y)


def dev_f1(x, y, w, src, kind, c, train_mask):
    m = fit(head(kind, c), x[train_mask], y[train_mask], w[train_mask])
    d = src == "checkthat_dev"
    return T.best_f1_threshold(score(m, x[d]), y[d])


def news_oof(keep, x, y, w, src, lang, kind, c, base_mask):
    """5-fold by article over the tuning news; each fold's model sees all non-news rows + 4/5 of the news."""
    news = np.where(src == "news")[0]
    groups = np.array([keep[i].group for i in news])
    folds = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=13)
    margins = np.zeros(len(news))
    for _train, te in folds.split(news, y[news], groups):
        mask = base_mask.copy()
        mask[news[te]] = False
        m = fit(head(kind, c), x[mask], y[mask], w[mask])
        margins[te] = score(m, x[news[te]])
    nrows = [keep[i] for i in news]
    out = {"all": T.news_threshold(margins, nrows)}
    for lg in ("de", "en", "fr"):
        sel = [j for j, r in enumerate(nrows) if r.language == lg]
        out[lg] = T.news_threshold(margins[sel], [nrows[j] for j in sel])
    # one global cut, precision per language at it
    cut = out["all"]["threshold"]
    for lg in ("de", "en", "fr"):
        sel = np.array([r.language == lg for r in nrows])
        core = np.array([r.core for r in nrows])
        pos = np.array([r.label == 1 for r in nrows])
        kept = (margins >= cut) & sel
        out[lg + "_global"] = (
            round(float((kept & core).sum() / max((core & sel).sum(), 1)), 3),
            round(float((kept & pos).sum() / max(kept.sum(), 1)), 3),
        )
    return out


if __name__ == "__main__":
    keep, x, y, w, src, lang = main()
    exps = sys.argv[2:]
    n_train = np.cumsum(src == "checkthat_train")
    for e in exps:
        kind, c, limit, do_news = e.split(":")
        c = float(c)
        limit = int(limit)
        mask = src != "checkthat_dev"
        if limit:
            mask &= ~((src == "checkthat_train") & (n_train > limit))
        t = time.time()
        f1, cut = dev_f1(x, y, w, src, kind, c, mask)
        line = {
            "exp": e,
            "NEWS_WEIGHT": T.NEWS_WEIGHT,
            "train_rows": int(mask.sum()),
            "dev_f1": round(f1, 4),
            "dev_cut": cut,
        }
        if do_news == "1":
            base = np.ones(len(y), bool)
            if limit:
                base &= ~((src == "checkthat_train") & (n_train > limit))
            line["news"] = news_oof(keep, x, y, w, src, lang, kind, c, base)
        line["s"] = round(time.time() - t, 1)
        print(json.dumps(line), flush=True)
