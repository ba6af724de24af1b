"""Shared helpers for the tests: the seed plan, variant corpora, a built KB."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SEED = CORPUS / "zhenyuan-women-2021-2030.txt"
DATA_FILES = ("departments.toml", "synonyms.txt", "userdict.txt")


def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


def make_corpus(dest: Path, plans: dict[str, bytes | str], manifest: str | None = None) -> Path:
    """A corpus folder with the repo's data files and the given plan files."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in DATA_FILES:
        shutil.copyfile(CORPUS / name, dest / name)
    for name, content in plans.items():
        path = dest / name
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
    if manifest is not None:
        (dest / "plans.toml").write_text(manifest, encoding="utf-8")
    return dest
