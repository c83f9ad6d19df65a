"""The benchmark's synthetic filings: valid, reproducible, and as mixed as real ones."""

from __future__ import annotations

import pytest
from stdnum.cn import uscc as uscc_codes
from vouchers_shared.application import Application
from vouchers_shared.refdata import ITEM_LISTS

from deploy.bench.synthetic import MIX, Generator, mix_of


@pytest.fixture(scope="module")
def generator() -> Generator:
    gen = Generator(seed=7)
    gen.filings(1500)
    return gen


def test_every_filing_is_a_valid_application_with_valid_codes() -> None:
    for filing in Generator(seed=7).filings(1500):
        application = Application.model_validate(filing.body)
        assert uscc_codes.is_valid(filing.uscc)
        assert all(uscc_codes.is_valid(c.provider_uscc) for c in application.contracts)


def test_the_same_seed_gives_the_same_filings_and_another_seed_others() -> None:
    first, again, other = (Generator(seed).filings(50) for seed in (7, 7, 8))
    assert [f.body for f in first] == [f.body for f in again]
    assert [f.body for f in first] != [f.body for f in other]


def test_each_applicant_files_once() -> None:
    usccs = [f.uscc for f in Generator(seed=7).filings(1500)]
    assert len(set(usccs)) == len(usccs)


def test_the_mix_has_every_kind_near_its_share() -> None:
    mix = mix_of(Generator(seed=7).filings(3000))
    for kind, share in MIX:
        assert abs(mix.get(kind, 0) / 3000 - share) < 0.03, kind


def test_reference_data_validates_and_registers_what_the_mix_needs(generator: Generator) -> None:
    kinds = generator.registry.kinds()
    for kind, items in kinds.items():
        ITEM_LISTS[kind].validate_python(items)
    registered_qr = {r["qr_code"] for r in kinds["audit_reports"]}
    filings = Generator(seed=7).filings(1500)
    for filing in filings:
        codes = {m.get("qr_code") for m in filing.body["materials"] if m["kind"] == "audit_report"}
        if filing.kind == "unregistered_qr":
            assert not codes & registered_qr
        elif codes:
            assert codes <= registered_qr
    restricted = {r["uscc"] for r in kinds["restrictions"]}
    assert restricted == {f.uscc for f in filings if f.kind == "restricted"}
