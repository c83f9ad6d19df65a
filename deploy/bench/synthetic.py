"""Seeded synthetic filings for the benchmark: valid bodies with a realistic mix of outcomes.

Every body passes intake's validation (valid USCC check digits, dates, hashes); what differs
is what the rule book and the verification make of it: most are approvable, the rest fail
for the reasons applicants really fail (spend under the threshold, an unregistered provider,
no audit consent, a related provider, an unregistered audit QR code, a restricted applicant,
a seat outside Shenzhen) or hit the yearly cap. The same seed gives the same filings.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from stdnum.cn import uscc as uscc_codes

# (kind, weight): the share of each kind in a run.
MIX: tuple[tuple[str, float], ...] = (
    ("approvable", 0.50),
    ("young_enterprise", 0.08),
    ("yearly_cap", 0.02),
    ("below_threshold", 0.10),
    ("unregistered_provider", 0.08),
    ("missing_consent", 0.07),
    ("related_provider", 0.06),
    ("unregistered_qr", 0.04),
    ("restricted", 0.02),
    ("outside_shenzhen", 0.03),
)
DISTRICTS = {
    "440303": "罗湖区",
    "440304": "福田区",
    "440305": "南山区",
    "440306": "宝安区",
    "440307": "龙岗区",
    "440308": "盐田区",
    "440309": "龙华区",
    "440310": "坪山区",
    "440311": "光明区",
}
BATCH_OPENS = {1: date(2024, 12, 9), 2: date(2025, 4, 7), 3: date(2025, 11, 14)}
WINDOW_CLOSES = date(2026, 12, 31)
LAST_SIGNING = date(2026, 5, 19)  # the day before the benchmark's program clock
QUALIFICATIONS = ("doctorate", "masters", "senior_engineer")
PROVIDERS, HOLDERS = 40, 12
APPLICANT_SERIAL, PROVIDER_SERIAL, HOLDER_SERIAL, STRANGER_SERIAL = 3_000_000, 100, 500, 900


def make_uscc(serial: int, region: str = "440305") -> str:
    """A valid unified social credit code (GB 32100-2015 check digit) for an enterprise."""
    body = f"91{region}MA{serial:07d}"
    return body + uscc_codes.calc_check_digit(body)


@dataclass(frozen=True)
class Filing:
    kind: str
    uscc: str
    body: dict[str, Any]  # the POST /v1/applications body


@dataclass
class Registry:
    """The reference data the filings are judged against (one list per kind)."""

    providers: list[dict[str, Any]] = field(default_factory=list)
    holdings: list[dict[str, Any]] = field(default_factory=list)
    restrictions: list[dict[str, Any]] = field(default_factory=list)
    prior_year_unredeemed: list[dict[str, Any]] = field(default_factory=list)
    audit_reports: list[dict[str, Any]] = field(default_factory=list)

    def kinds(self) -> dict[str, list[dict[str, Any]]]:
        return {
            "providers": self.providers,
            "holdings": self.holdings,
            "officers": [],
            "restrictions": self.restrictions,
            "prior_year_unredeemed": self.prior_year_unredeemed,
            "audit_reports": self.audit_reports,
        }


class Generator:
    """Filings and their reference data from one `random.Random(seed)`."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
        self.registry = Registry()
        self._providers: list[tuple[str, int]] = []
        self._held: dict[str, str] = {}  # provider USCC -> a holder holding 20%+ of it
        self._serial = APPLICANT_SERIAL
        self._setup_registry()

    def _setup_registry(self) -> None:
        for i in range(PROVIDERS):
            uscc = make_uscc(PROVIDER_SERIAL + i, self.rng.choice(list(DISTRICTS)))
            batch = self.rng.choice((1, 1, 2, 2, 3))
            self._providers.append((uscc, batch))
            self.registry.providers.append(
                {"uscc": uscc, "name": f"深圳市算力服务{i:02d}有限公司", "batch": batch}
            )
        taken: dict[str, int] = dict.fromkeys((p for p, _ in self._providers), 0)
        for i in range(HOLDERS):
            holder = make_uscc(HOLDER_SERIAL + i, "440304")
            for provider, _batch in self.rng.sample(self._providers, 2):
                pct = min(self.rng.randint(20, 45), 100 - taken[provider])
                if pct < 20:
                    continue  # the holders of one provider hold at most 100% of it together
                taken[provider] += pct
                self._held.setdefault(provider, holder)
                self.registry.holdings.append(
                    {"holder_id": holder, "holder_kind": "company", "held_uscc": provider, "pct": f"{pct}.00"}
                )

    def filings(self, count: int) -> list[Filing]:
        kinds, weights = zip(*MIX, strict=True)
        return [self.filing(self.rng.choices(kinds, weights)[0]) for _ in range(count)]

    def filing(self, kind: str) -> Filing:
        serial, self._serial = self._serial, self._serial + 1
        region = self.rng.choice(list(DISTRICTS))
        uscc = make_uscc(serial, region)
        tag = f"a{serial}"
        young = kind == "young_enterprise"
        contracts = self._contracts(kind, tag)
        applicant = self._applicant(kind, uscc, region, tag, young, contracts)
        materials = self._materials(kind, uscc, tag, young, contracts)
        body = {
            "program_year": 2026,
            "applicant": applicant,
            "project": self._project(tag),
            "contracts": contracts,
            "declarations": {"self_filed": True, "filed_by_project_lead": True, "truthful": True},
            "materials": materials,
        }
        self._register(kind, uscc)
        return Filing(kind, uscc, body)

    def _register(self, kind: str, uscc: str) -> None:
        if kind == "restricted":
            self.registry.restrictions.append({"uscc": uscc, "list": "fiscal_funding_ban"})
        elif kind == "approvable" and self.rng.random() < 0.1:
            self.registry.prior_year_unredeemed.append(
                {
                    "uscc": uscc,
                    "program_year": 2025,
                    "unredeemed_cny": f"{self.rng.randint(1, 40) * 50_000}.00",
                }
            )

    def _applicant(
        self, kind: str, uscc: str, region: str, tag: str, young: bool, contracts: list[dict[str, Any]]
    ) -> dict[str, Any]:
        if young:
            registered = date(2025, 5, 1) + timedelta(days=self.rng.randint(0, 320))
        else:
            registered = date(2008, 1, 1) + timedelta(days=self.rng.randint(0, 16 * 365))
        shareholders = [
            {"holder_id": f"{tag}-sh{i}", "kind": "person", "name": "自然人股东", "pct": f"{pct}.00"}
            for i, pct in enumerate(self._split(100, 2))
        ]
        if kind == "related_provider":
            holder = self._held[contracts[0]["provider_uscc"]]
            shareholders = [
                {
                    "holder_id": holder,
                    "kind": "company",
                    "name": "某控股有限公司",
                    "pct": f"{self.rng.randint(25, 60)}.00",
                }
            ]
        return {
            "name": f"深圳市合成{tag}科技有限公司",
            "uscc": uscc,
            "org_type": "enterprise",
            "independent_legal_person": True,
            "public_institution": False,
            "registered_on": registered.isoformat(),
            "registered_district": "东莞市" if kind == "outside_shenzhen" else DISTRICTS[region],
            "legal_representative": {"person_id": f"{tag}-lr", "name": "法人代表"},
            "officers": [{"person_id": f"{tag}-dir", "name": "董事", "role": "director"}],
            "shareholders": shareholders,
            "contact": {
                "name": "联系人",
                "email": f"{tag}@applicant.example.cn",
                "mobile": f"138{self.rng.randint(0, 99_999_999):08d}",
            },
        }

    def _split(self, total: int, parts: int) -> list[int]:
        cuts = sorted(self.rng.sample(range(1, total), parts - 1))
        return [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]

    def _project(self, tag: str) -> dict[str, Any]:
        def person(role: str, qualification: str) -> dict[str, Any]:
            return {
                "person_id": f"{tag}-{role}",
                "name": "项目成员",
                "qualification": qualification,
                "full_time_in_shenzhen": True,
            }

        return {
            "title": "行业大模型训练与推理验证",
            "ethics_or_safety_involved": False,
            "lead": person("lead", "doctorate"),
            "members": [person(f"m{i}", self.rng.choice(QUALIFICATIONS)) for i in (1, 2)],
        }

    def _total(self, kind: str) -> int:
        """Total contract spend in CNY (whole hundreds)."""
        if kind == "below_threshold":
            return self.rng.randint(500, 4_999) * 100
        if kind == "yearly_cap":
            return self.rng.randint(210_000, 400_000) * 100
        return self.rng.randint(5_000, 80_000) * 100

    def _contracts(self, kind: str, tag: str) -> list[dict[str, Any]]:
        count = self.rng.choice((1, 1, 2, 2, 3))
        total = self._total(kind)
        amounts = self._split(total // 100, count) if total // 100 > count else [total // 100]
        pool = (
            [p for p in self._providers if p[0] in self._held]
            if kind == "related_provider"
            else self._providers
        )
        contracts = [
            self._contract(f"HT-{tag}-{i + 1:02d}", *self.rng.choice(pool), amount * 100)
            for i, amount in enumerate(amounts)
        ]
        if kind == "unregistered_provider":
            stranger = make_uscc(STRANGER_SERIAL + self.rng.randint(0, 99), "440306")
            contracts[0] = {**contracts[0], "provider_uscc": stranger}
        return contracts

    def _contract(self, number: str, provider: str, batch: int, amount: int) -> dict[str, Any]:
        opens = BATCH_OPENS[batch]
        signed = opens + timedelta(days=self.rng.randint(0, (LAST_SIGNING - opens).days))
        start = signed + timedelta(days=self.rng.randint(0, 30))
        end = min(start + timedelta(days=self.rng.randint(90, 330)), WINDOW_CLOSES)
        training = self.rng.random() < 0.8
        contract = {
            "contract_no": number,
            "provider_uscc": provider,
            "provider_name": "算力服务商",
            "signed_on": signed.isoformat(),
            "service_start": start.isoformat(),
            "service_end": end.isoformat(),
            "amount_cny": f"{amount}.00",
            "service_type": "training" if training else "inference",
            "description": "租用智能算力开展大模型训练" if training else "阶段性训练成果的验证性推理",
            "other_public_funding_cny": "0.00",
        }
        if training:
            contract["training_kind"] = self.rng.choice(("pretraining", "sft", "rl"))
        return contract

    def _sha(self) -> str:
        return self.rng.randbytes(32).hex()

    def _materials(
        self, kind: str, uscc: str, tag: str, young: bool, contracts: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        signed = {"signed_by_legal_rep": True, "stamped": True}
        materials: list[dict[str, Any]] = [
            {"kind": "application_form", "sha256": self._sha()},
            {"kind": "business_license", "sha256": self._sha(), **signed},
            *(
                {"kind": "service_contract", "contract_no": c["contract_no"], "sha256": self._sha()}
                for c in contracts
            ),
            {"kind": "usage_scenario_statement", "sha256": self._sha(), "stamped": True},
            {
                "kind": "personnel_certificates",
                "sha256": self._sha(),
                "person_ids": [f"{tag}-lead", f"{tag}-m1", f"{tag}-m2"],
            },
        ]
        if young and self.rng.random() < 0.5:
            materials.append({"kind": "capital_verification_report", "sha256": self._sha()})
        else:
            qr = f"CPA-2025-{uscc}"
            materials.append(
                {"kind": "audit_report", "sha256": self._sha(), "fiscal_year": 2025, "qr_code": qr}
            )
            if kind != "unregistered_qr":
                self.registry.audit_reports.append({"qr_code": qr, "uscc": uscc, "fiscal_year": 2025})
        materials += [
            {"kind": "tax_payment_certificate", "sha256": self._sha(), "year": 2025},
            {"kind": "commitment_letter", "sha256": self._sha(), **signed},
        ]
        if kind != "missing_consent":
            materials.append({"kind": "audit_consent", "sha256": self._sha(), **signed})
        return materials


def mix_of(filings: list[Filing]) -> dict[str, int]:
    return dict(sorted(Counter(f.kind for f in filings).items()))
