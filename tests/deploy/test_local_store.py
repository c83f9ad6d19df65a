"""The store `make up`, the tests and `make bench` run: FerretDB unless LOCAL_STORE names the
other candidate (README, "The local store, chosen by measurement")."""

from __future__ import annotations

import pytest
import suitectl


def test_the_local_store_is_ferretdb_unless_another_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOCAL_STORE", raising=False)
    assert suitectl.local_store() == "ferretdb"
    monkeypatch.setenv("LOCAL_STORE", "mongo-java-server")
    assert suitectl.local_store() == "mongo-java-server"


def test_a_store_that_is_not_a_candidate_is_refused_with_the_candidates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LOCAL_STORE", "mongodb")
    with pytest.raises(suitectl.SuiteError, match="ferretdb, mongo-java-server"):
        suitectl.local_store()
