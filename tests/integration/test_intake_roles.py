"""Who may do what at intake: tokens, the three roles, a submitter's own applicant only, and
the local-mode token endpoint."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from vouchers_shared import signing_key
from vouchers_shared.auth import TokenService

from tests.support.infra import Infra
from tests.support.intake import (
    RunningIntake,
    applicant,
    expired_token,
    forged_token,
    intake_db,
    intake_settings,
    running_intake,
    suite_intake,
    wait_until,
)
from tests.support.keys import TOKEN_KEY
from tests.support.samples import application_for, refdata
from tests.support.suite import Suite

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
A, B = applicant(50), applicant(51)
PRODUCTION_KEY = signing_key.generate()


@pytest.fixture(scope="module")
def intake(suite: Suite) -> RunningIntake:
    return suite_intake(suite)


@pytest.fixture(scope="module")
async def filed(intake: RunningIntake) -> dict[str, str]:
    """One application each for applicants A and B."""
    ids = {}
    for uscc in (A, B):
        async with intake.client("submitter", uscc) as client:
            response = await client.post("/v1/applications", json=application_for(uscc))
        assert response.status_code == 202, response.text
        ids[uscc] = response.json()["application_id"]
    return ids


async def count_for(infra: Infra, uscc: str) -> int:
    async with intake_db(infra) as db:
        return int(await db["applications"].count_documents({"applicant_uscc": uscc}))


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/applications"),
        ("GET", "/v1/applications"),
        ("GET", "/v1/applications/x"),
        ("POST", "/v1/refdata/providers"),
        ("POST", "/v1/dev/tokens"),
    ],
)
async def test_no_token_is_a_401(intake: RunningIntake, method: str, path: str) -> None:
    async with intake.client(None) as client:
        response = await client.request(method, path, json={})

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("kind", ["garbage", "foreign_key", "expired", "not_bearer"])
async def test_a_bad_or_expired_token_is_a_401(
    intake: RunningIntake, filed: dict[str, str], kind: str
) -> None:
    tokens = {
        "garbage": "not-a-token",
        "foreign_key": TokenService(signing_key.generate()).issue("operator"),
        "expired": expired_token(intake.tokens),
    }
    async with intake.client(None) as client:
        if kind == "not_bearer":
            headers = {"Authorization": f"Basic {intake.tokens.issue('operator')}"}
        else:
            headers = {"Authorization": f"Bearer {tokens[kind]}"}
        response = await client.get(f"/v1/applications/{filed[A]}", headers=headers)

    assert response.status_code == 401


@pytest.mark.parametrize("uscc", [None, "", "91440305MA5K000000"], ids=["none", "empty", "invalid"])
async def test_a_submitter_token_naming_no_valid_applicant_is_a_401_everywhere(
    intake: RunningIntake, filed: dict[str, str], uscc: str | None
) -> None:
    claims = {} if uscc is None else {"uscc": uscc}
    forged = forged_token(TOKEN_KEY, role="submitter", **claims)  # the suite's own key
    async with intake.client(None, token=forged) as client:
        answers = [
            await client.get("/v1/applications"),
            await client.get("/v1/applications", params={"page_size": 200}),
            await client.get(f"/v1/applications/{filed[A]}"),
            await client.post("/v1/applications", json=application_for(A)),
        ]

    assert [a.status_code for a in answers] == [401, 401, 401, 401]


async def test_a_submitter_reads_its_own_application(intake: RunningIntake, filed: dict[str, str]) -> None:
    async with intake.client("submitter", A) as client:
        response = await client.get(f"/v1/applications/{filed[A]}")

    assert response.status_code == 200
    assert response.json()["applicant_uscc"] == A


async def test_a_submitter_cannot_read_another_applicants_application(
    intake: RunningIntake, filed: dict[str, str]
) -> None:
    async with intake.client("submitter", A) as client:
        theirs = await client.get(f"/v1/applications/{filed[B]}")
        missing = await client.get("/v1/applications/SZV2026-NOSUCHAPPLICATION")

    assert theirs.status_code == 404
    same = ("type", "title", "status", "detail", "code")  # not even that it exists
    assert [theirs.json()[k] for k in same] == [missing.json()[k] for k in same]
    assert set(theirs.json()) == set(missing.json())


async def test_a_submitter_lists_only_its_own_applicant(intake: RunningIntake, filed: dict[str, str]) -> None:
    async with intake.client("submitter", A) as client:

        async def own_listed() -> list[dict[str, Any]]:
            own = await client.get("/v1/applications")
            assert own.status_code == 200
            items: list[dict[str, Any]] = own.json()["items"]
            return items if filed[A] in {i["application_id"] for i in items} else []

        own = await wait_until("A's application in A's list", own_listed, within=120)
        theirs = await client.get("/v1/applications", params={"applicant_uscc": B})
        everything = await client.get("/v1/applications", params={"page_size": 200})

    assert theirs.status_code == 403
    assert {item["applicant_uscc"] for item in own} == {A}
    assert {item["applicant_uscc"] for item in everything.json()["items"]} == {A}


async def test_a_submitter_cannot_file_for_another_applicant(infra: Infra, intake: RunningIntake) -> None:
    other = applicant(52)
    async with intake.client("submitter", A) as client:
        response = await client.post("/v1/applications", json=application_for(other))

    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "NOT_YOUR_APPLICANT"
    assert await count_for(infra, other) == 0


async def test_a_submitter_cannot_load_reference_data(intake: RunningIntake) -> None:
    async with intake.client("submitter", A) as client:
        response = await client.post("/v1/refdata/providers", json=refdata()["providers"])

    assert response.status_code == 403


async def test_an_auditor_reads_everything_but_changes_nothing(
    infra: Infra, intake: RunningIntake, filed: dict[str, str]
) -> None:
    auditor_uscc = applicant(53)
    async with intake.client("auditor") as client:
        one = await client.get(f"/v1/applications/{filed[A]}")
        other = await client.get(f"/v1/applications/{filed[B]}")
        listed = await client.get("/v1/applications", params={"applicant_uscc": B})
        filing = await client.post("/v1/applications", json=application_for(auditor_uscc))
        loading = await client.post("/v1/refdata/providers", json=refdata()["providers"])
        issuing = await client.post("/v1/dev/tokens", json={"role": "operator"})

    assert (one.status_code, other.status_code, listed.status_code) == (200, 200, 200)
    assert (filing.status_code, loading.status_code, issuing.status_code) == (403, 403, 403)
    assert await count_for(infra, auditor_uscc) == 0


async def test_an_operator_reads_every_applicant(intake: RunningIntake, filed: dict[str, str]) -> None:
    async with intake.client("operator") as client:
        views = [await client.get(f"/v1/applications/{filed[uscc]}") for uscc in (A, B)]

    assert [v.status_code for v in views] == [200, 200]


async def test_an_operator_cannot_file(intake: RunningIntake) -> None:
    async with intake.client("operator") as client:
        response = await client.post("/v1/applications", json=application_for(applicant(54)))

    assert response.status_code == 403


# --- tokens issued over HTTP (local mode only) -------------------------------------------------


async def test_local_mode_issues_a_submitter_token_to_an_operator(
    intake: RunningIntake, filed: dict[str, str]
) -> None:
    async with intake.client("operator") as client:
        issued = await client.post("/v1/dev/tokens", json={"role": "submitter", "uscc": A})
        no_uscc = await client.post("/v1/dev/tokens", json={"role": "submitter"})
        invalid = await client.post(
            "/v1/dev/tokens", json={"role": "submitter", "uscc": "91440305MA5K000000"}
        )
    async with intake.client("submitter", A) as submitter:
        by_submitter = await submitter.post("/v1/dev/tokens", json={"role": "operator"})

    assert issued.status_code == 200
    token = issued.json()["token"]
    async with intake.client(None, token=token) as client:
        own = await client.get(f"/v1/applications/{filed[A]}")
        theirs = await client.get(f"/v1/applications/{filed[B]}")
    assert (own.status_code, theirs.status_code) == (200, 404)
    assert no_uscc.status_code == 422
    assert no_uscc.json()["errors"][0]["field"] == "uscc"
    assert invalid.status_code == 422
    assert invalid.json()["errors"][0]["field"] == "uscc"
    assert by_submitter.status_code == 403


async def test_outside_local_mode_there_is_no_token_endpoint(infra: Infra) -> None:
    async with running_intake(
        infra, vouchers_local_mode=False, vouchers_token_key=PRODUCTION_KEY
    ) as production:
        async with production.client("operator") as client:
            issuing = await client.post("/v1/dev/tokens", json={"role": "submitter", "uscc": A})
            listing = await client.get("/v1/applications", params={"applicant_uscc": A})
        local = TokenService(TOKEN_KEY).issue("operator")
        async with production.client(None, token=local) as client:
            local_token = await client.get("/v1/applications")
        spec: dict[str, Any] = production.app.openapi()

    assert issuing.status_code == 404
    assert listing.status_code == 200
    assert local_token.status_code == 401
    assert "/v1/dev/tokens" not in spec["paths"]


@pytest.mark.parametrize("local_mode", [True, False], ids=["local mode", "production"])
def test_in_either_mode_a_missing_committed_or_short_key_is_refused(infra: Infra, local_mode: bool) -> None:
    with pytest.raises(ValidationError, match="VOUCHERS_TOKEN_KEY is not set"):
        intake_settings(infra, vouchers_local_mode=local_mode, vouchers_token_key=None)
    for committed in signing_key.COMMITTED:
        with pytest.raises(ValidationError, match="written in the repository"):
            intake_settings(infra, vouchers_local_mode=local_mode, vouchers_token_key=committed)
    with pytest.raises(ValidationError, match="32 bytes"):
        intake_settings(infra, vouchers_local_mode=local_mode, vouchers_token_key="short-key")


@pytest.mark.parametrize("key", sorted(signing_key.COMMITTED))
async def test_an_operator_token_signed_with_a_key_from_the_repository_is_a_401(
    intake: RunningIntake, filed: dict[str, str], key: str
) -> None:
    forged = forged_token(key, role="operator")
    async with intake.client(None, token=forged) as client:
        listing = await client.get("/v1/applications")
        issuing = await client.post("/v1/dev/tokens", json={"role": "submitter", "uscc": A})

    assert (listing.status_code, issuing.status_code) == (401, 401)
