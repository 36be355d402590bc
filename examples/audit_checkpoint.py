"""Walkthrough (b): a target you trained yourself, audited without retraining.

A plain PyTorch script, independent of diffcal: it saves the digits of scikit-learn
as resources/audit/digits.npz, trains examples/models/small_mlp.py on 40 % of the
rows (its members), and saves the weights (a state_dict) and the member ids. Then
audit the trained model with config/audit_checkpoint.yaml:

    python examples/audit_checkpoint.py
    snakemake --cores 2 all --configfile config/audit_checkpoint.yaml
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits
from torch.nn import functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from models.small_mlp import make_model  # noqa: E402


def train_target(out_dir: str | Path = "resources/audit", epochs: int = 60) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    digits = load_digits()
    x = digits.images.astype(np.float32)  # (n, 8, 8): grey images, values 0..16
    y = digits.target
    np.savez(out / "digits.npz", x=x, y=y)
    rng = np.random.default_rng(1)
    members = np.sort(rng.choice(len(y), size=int(0.4 * len(y)), replace=False))
    np.savetxt(out / "digits_members.txt", members, fmt="%d")

    torch.manual_seed(0)
    model = make_model((1, 8, 8), 10, width=64)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    xm = torch.from_numpy(x[members][:, None])  # the layout diffcal stores: (n, 1, 8, 8)
    ym = torch.from_numpy(y[members])
    for _ in range(epochs):
        for idx in torch.randperm(len(ym)).split(32):
            opt.zero_grad()
            F.cross_entropy(model(xm[idx]), ym[idx]).backward()
            opt.step()
    torch.save(model.state_dict(), out / "digits_target.pt")
    return out / "digits_target.pt"


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--out-dir", default="resources/audit")
    print(train_target(p.parse_args().out_dir))
