"""What an applicant is shown of other people: findings as the applicant may read them.

Conflict-of-interest evidence names the people who link an applicant to a provider, as the
reference data knows them. An applicant sees its own people, those its application declares,
in full; anyone else appears by role (the kind of the edge) and a numbered label, never by
person id. Operators and auditors read findings as they are; the events keep them whole.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from stdnum.cn import uscc as stdnum_uscc

from vouchers_shared.findings import shown as with_texts

HOLDING = "holding"
LABEL_ZH = "自然人{n}"  # in the Chinese message
LABEL = "person-{n}"  # in the English message, the path summaries and the edges
TEXT_FIELDS_ZH = ("message",)
TEXT_FIELDS = ("message_en", "observed", "limit")


def declared_people(application: Mapping[str, Any]) -> frozenset[str]:
    """The person ids an application (its JSON form) declares: legal representative, officers,
    shareholders who are people, project lead and members."""
    applicant = application.get("applicant") or {}
    project = application.get("project") or {}
    people = [
        applicant.get("legal_representative"),
        *(applicant.get("officers") or []),
        project.get("lead"),
        *(project.get("members") or []),
    ]
    ids = {p.get("person_id") for p in people if isinstance(p, Mapping)}
    ids |= {
        s.get("holder_id")
        for s in applicant.get("shareholders") or []
        if isinstance(s, Mapping) and s.get("kind") == "person"
    }
    return frozenset(i for i in ids if isinstance(i, str) and i)


def _is_company(party: str) -> bool:
    return stdnum_uscc.is_valid(party)


def people_on(edge: Mapping[str, Any]) -> list[str]:
    """The people an evidence edge names: the holder or officer at its source (a holder that is
    no valid USCC counts as a person), and a target that is no company."""
    source, target = str(edge.get("source", "")), str(edge.get("target", ""))
    found = [source] if edge.get("kind") != HOLDING or not _is_company(source) else []
    return found + ([target] if not _is_company(target) else [])


class PeopleMask:
    """Findings as an applicant with these own people reads them; others are numbered in the
    order they first appear, the same number for the same person throughout one mask."""

    def __init__(self, own: Collection[str]) -> None:
        self._own = frozenset(own)
        self._numbers: dict[str, int] = {}

    def findings(self, findings: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        return [self.finding(f) for f in findings]

    def finding(self, finding: Mapping[str, Any]) -> dict[str, Any]:
        """One finding (its JSON form), its texts rendered (vouchers_shared.findings.shown), with
        the people other than the applicant's own numbered throughout."""
        finding = with_texts(finding)
        paths = [dict(p) for p in finding.get("evidence") or []]
        for path in paths:
            for edge in path.get("edges") or []:
                for person in people_on(edge):
                    if person not in self._own:
                        self._numbers.setdefault(person, len(self._numbers) + 1)
        shown = dict(finding)
        for field in TEXT_FIELDS_ZH:
            shown[field] = self._text(finding.get(field), LABEL_ZH)
        for field in TEXT_FIELDS:
            shown[field] = self._text(finding.get(field), LABEL)
        shown["evidence"] = [self._path(p) for p in paths]
        return {k: v for k, v in shown.items() if k in finding or v is not None}

    def _path(self, path: dict[str, Any]) -> dict[str, Any]:
        edges = [
            {**e, "source": self._party(e.get("source")), "target": self._party(e.get("target"))}
            for e in path.get("edges") or []
        ]
        return {**path, "summary": self._text(path.get("summary"), LABEL), "edges": edges}

    def _party(self, party: Any) -> Any:
        number = self._numbers.get(party) if isinstance(party, str) else None
        return party if number is None else LABEL.format(n=number)

    def _text(self, text: Any, label: str) -> Any:
        if not isinstance(text, str):
            return text
        # Longest first, so that an id inside a longer one is never left half shown.
        for person in sorted(self._numbers, key=len, reverse=True):
            pattern = rf"(?<![0-9A-Za-z]){re.escape(person)}(?![0-9A-Za-z])"
            text = re.sub(pattern, label.format(n=self._numbers[person]), text)
        return text
