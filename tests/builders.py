"""What the tests of several folders build: a user's table, the encoder and the
model factory a user writes (files under tests/data/user_code), and the code
examples of docs/extending.md."""

import re

import numpy as np
import pandas as pd
from conftest import REPO

USER_CODE = REPO / "tests/data/user_code"
#: The text of a user's encoder file (``encode(frame)``).
ENCODING = (USER_CODE / "reverse_minmax.py").read_text()
#: The text of a user's model factory (``make_model``, ``not_a_model``).
FACTORY = (USER_CODE / "factory.py").read_text()


def write_table(path, n=600, seed=0):
    """Three classes decided by the first column alone; the others are noise on
    other scales."""
    rng = np.random.default_rng(seed)
    key = rng.uniform(0, 1, n)
    frame = pd.DataFrame(
        {
            "key": key,
            "big": rng.uniform(0, 1000, n),
            "neg": rng.uniform(-50, 50, n),
            "mid": rng.uniform(5, 6, n),
            "label": np.digitize(key, [1 / 3, 2 / 3]),
        }
    )
    frame.to_csv(path, index=False)
    return frame


def encode(frame):
    """The encoder file's function on ``frame`` without its label, as float32."""
    namespace = {}
    exec(ENCODING, namespace)  # the same function the config names
    return namespace["encode"](frame.drop(columns=["label"])).astype(np.float32)


def extending_examples(heading: str) -> list[str]:
    """The python code blocks of the section ``## <heading>`` of docs/extending.md,
    as the docs show them."""
    text = (REPO / "docs/extending.md").read_text()
    section = text.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)
