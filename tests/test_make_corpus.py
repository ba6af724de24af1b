"""scripts/make_corpus.py: deterministic for a seed, and every plan it writes parses."""

import importlib.util
import sys
import tomllib
from pathlib import Path

import pytest

from kb.store import build

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "make_corpus.py"


@pytest.fixture(scope="module")
def make_corpus():
    spec = importlib.util.spec_from_file_location("make_corpus", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_corpus"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module.make_corpus


def _contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_same_seed_same_bytes(make_corpus, tmp_path):
    make_corpus(3, tmp_path / "a", seed=7)
    make_corpus(3, tmp_path / "b", seed=7)
    make_corpus(3, tmp_path / "c", seed=8)
    assert _contents(tmp_path / "a") == _contents(tmp_path / "b")
    assert _contents(tmp_path / "a")["synth-0000.txt"] != _contents(tmp_path / "c")["synth-0000.txt"]


def test_smaller_corpus_is_a_prefix(make_corpus, tmp_path):
    make_corpus(2, tmp_path / "two")
    make_corpus(4, tmp_path / "four")
    assert (tmp_path / "two" / "synth-0001.txt").read_bytes() == (tmp_path / "four" / "synth-0001.txt").read_bytes()


def test_output_parses_into_every_plan(make_corpus, tmp_path):
    corpus = tmp_path / "corpus"
    make_corpus(3, corpus, seed=1)
    manifest = tomllib.loads((corpus / "plans.toml").read_text(encoding="utf-8"))
    report = build(corpus, tmp_path / "data")
    assert [d.doc for d in report.documents] == [p["id"] for p in manifest["plan"]] == ["synth-0000", "synth-0001", "synth-0002"]
    assert all(d.status == "parsed" and not d.warnings for d in report.documents)
    issuers = {p["issuer"] for p in manifest["plan"]}
    assert len(issuers) == 3 and all(i.endswith("县") and "镇原" not in i for i in issuers)
    for d in report.documents:
        assert 140 <= sum(d.counts.values()) <= 215
        assert d.counts["goal"] > 40 and d.counts["measure"] > 50
