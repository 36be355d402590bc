"""Public-data baselines for Hepatitis: what accuracy do 39 training rows allow?

Trains scikit-learn models on each paper split's reference pool and tests them on
its shadow samples (never the evaluation split), as diffcal.config.recipe_search does for
the MLP. Run: python docs/checks/hepatitis_baselines.py ../shared/data
"""

import sys

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from diffcal.config.load import load_config
from diffcal.config.views import split_config
from diffcal.data.registry import prepare
from diffcal.data.splits import ids_with_role, split_of

cfg = load_config("config/paper.yaml")  # the workflow's splits, through its own config path

d = prepare("hepatitis", sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
print("majority share", np.bincount(d.y).max() / d.n)
for name, mk in [
    ("logreg C=1", lambda: LogisticRegression(C=1.0, max_iter=2000)),
    ("logreg C=0.1", lambda: LogisticRegression(C=0.1, max_iter=2000)),
    ("rf", lambda: RandomForestClassifier(200, random_state=0)),
]:
    accs = []
    maj = []
    for t in range(5):
        sp = split_of(
            d.n,
            root_seed=cfg["root_seed"],
            dataset="hepatitis",
            split_index=t,
            **split_config(cfg, "hepatitis", "plain"),
        )
        a = ids_with_role(sp, "reference")
        b = ids_with_role(sp, "shadow_in", "shadow_out")
        m = mk().fit(d.x[a], d.y[a])
        accs.append(m.score(d.x[b], d.y[b]))
        maj.append(np.mean(d.y[b] == np.bincount(d.y[a]).argmax()))
    print(name, np.round(accs, 3), round(np.mean(accs), 3), "majority-rule", round(np.mean(maj), 3))
