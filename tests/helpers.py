"""Shared helpers for the tests: the seed plan, variant corpora, a built KB."""

from __future__ import annotations

import shutil
import threading
import time
import urllib.request
from contextlib import contextmanager
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


@contextmanager
def serving(app, threads: int = 4):
    """waitress serving app in a thread on a free loopback port; yields the base URL, then stops."""
    import waitress.server

    server = waitress.server.create_server(app, host="127.0.0.1", port=0, threads=threads)

    def run():
        try:
            server.run()
        except OSError:  # the loop notices its sockets closed under it: that is the shutdown
            pass

    threading.Thread(target=run, daemon=True).start()
    base = f"http://127.0.0.1:{server.effective_port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.05)
    try:
        yield base
    finally:
        server.close()


def finishes(fn, deadline: float = 120.0):
    """fn()'s result; fails when fn runs past the deadline (a runaway, not a verdict on the machine's speed)."""
    import pytest

    box: dict = {}

    def run():
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the test below
            box["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(deadline)
    if worker.is_alive():
        pytest.fail(f"did not finish within {deadline:.0f} s")
    if "error" in box:
        raise box["error"]
    return box["value"]


def require_tool(path: str | None, what: str) -> str:
    """The path of an external tool the test needs: skip without it locally, fail under CI=true."""
    import os
    import shutil as _shutil

    import pytest

    found = path if path and Path(path).exists() else (_shutil.which(path) if path else None)
    if found:
        return found
    reason = f"{what} is not installed (scripts/test installs it)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)
