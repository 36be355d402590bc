"""Text corpora: fortune files, Debian packages read by hand, the user's documents."""

import io
import json
import tarfile

import pytest

from diffcal.data import text


def test_parse_fortunes_splits_on_percent_lines():
    raw = "first\n  line two\n%\n\n%\nsecond\n% \nthird\n"
    assert text.parse_fortunes(raw) == ["first\n  line two", "second", "third"]


def test_unique_documents_drops_repeats_and_empties_in_order():
    docs = ["b", "a ", "", "b", "c\n", "a"]
    assert text.unique_documents(docs) == ["b", "a", "c"]


def _deb(tmp_path, files):
    """A Debian package as dpkg-deb lays it out: ar with debian-binary,
    control.tar.gz and data.tar.gz (members padded to even sizes)."""
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:gz") as tar:
        for name, body in files.items():
            info = tarfile.TarInfo("./usr/share/games/fortunes/" + name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    members = [
        ("debian-binary", b"2.0\n"),
        ("control.tar.gz", b"x"),
        ("data.tar.gz", data.getvalue()),
    ]
    out = io.BytesIO()
    out.write(b"!<arch>\n")
    for name, body in members:
        header = f"{name + '/':<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(body):<10}`\n"
        out.write(header.encode("ascii") + body + (b"\n" if len(body) % 2 else b""))
    path = tmp_path / "f.deb"
    path.write_bytes(out.getvalue())
    return path


def test_fortunes_from_a_package_and_from_an_installed_copy_agree(tmp_path):
    files = {"zoo": b"z1\n%\nshared\n", "art": b"a1\n%\nshared\n", "art.dat": b"\x00\x01"}
    got = text._fortune_files_from_deb(_deb(tmp_path, files))
    assert sorted(got) == ["art", "zoo"]  # index files (name.dat, name.u8) left out
    installed = tmp_path / "installed"
    installed.mkdir()
    for name, body in files.items():
        (installed / name).write_bytes(body)
    # files in name order, the repeat kept once
    assert text.load_fortunes(None, installed=installed) == ["a1", "shared", "z1"]
    with pytest.raises(ValueError, match="not a Debian package"):
        text._deb_data(installed / "art")


def test_read_documents_formats_and_errors(tmp_path):
    (tmp_path / "a.txt").write_text("one\ntwo\n\none\n")
    assert text.read_documents(tmp_path / "a.txt") == ["one", "two"]
    (tmp_path / "a.jsonl").write_text("\n".join(json.dumps({"body": s}) for s in ["x", "y"]))
    assert text.read_documents(tmp_path / "a.jsonl", column="body") == ["x", "y"]
    with pytest.raises(ValueError, match=r"line 1: no string field 'text'"):
        text.read_documents(tmp_path / "a.jsonl")
    (tmp_path / "a.csv").write_text("id,doc\n1,hello\n2,world\n")
    assert text.read_documents(tmp_path / "a.csv", column="doc") == ["hello", "world"]
    with pytest.raises(ValueError, match="no column 'text'"):
        text.read_documents(tmp_path / "a.csv", column="text")
    (tmp_path / "empty.txt").write_text("\n\n")
    with pytest.raises(ValueError, match="no non-empty document"):
        text.read_documents(tmp_path / "empty.txt")
    with pytest.raises(ValueError, match="expected a .txt, .jsonl or .csv"):
        text.read_documents(tmp_path / "a.parquet")


def test_lm_roles_are_seeded_quarters():
    roles = text.lm_roles(10, seed=4)
    counts = {r: int((roles == r).sum()) for r in text.LM_ROLES}
    assert counts == {"member": 2, "nonmember": 2, "public": 2, "pretrain": 4}
    assert (roles == text.lm_roles(10, seed=4)).all()
    assert not (roles == text.lm_roles(10, seed=5)).all()
