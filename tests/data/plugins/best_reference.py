"""An attack plugin for the tests (attack.extra): the target's loss against the
lowest loss any OUT reference reached on the same sample."""


def best_reference(target, references):
    """``-(target loss - min OUT reference loss)``, per sample in ``target``'s order."""
    out = references[~references["is_in"]]
    best = out.groupby("sample_id")["loss"].min()
    return -(target["loss"].to_numpy() - best.loc[target["sample_id"]].to_numpy())
