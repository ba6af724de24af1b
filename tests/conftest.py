"""Fixtures: one knowledge base built from the repository's corpus per session, the app, its client."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.store import build

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


@pytest.fixture(scope="session")
def seed_data_dir(tmp_path_factory):
    """A data dir holding the KB built once per session from corpus/: read it, or copy it to write to it."""
    data = tmp_path_factory.mktemp("data")
    build(CORPUS, data)
    return data


@pytest.fixture(scope="session")
def data_dir(seed_data_dir):
    """The session's KB (modules that need a data dir of their own under this name copy seed_data_dir)."""
    return seed_data_dir


@pytest.fixture()
def app(data_dir):
    from search_app import create_app

    return create_app({"TESTING": True, "PLANKB_DATA": str(data_dir), "PLANKB_CORPUS": str(CORPUS)})


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def runner(app):
    return app.test_cli_runner()
