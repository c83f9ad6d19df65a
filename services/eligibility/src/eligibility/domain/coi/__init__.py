"""Conflict-of-interest check: the provider of every contract must be a non-affiliated party."""

from eligibility.domain.coi.assess import assess_conflicts, assess_in
from eligibility.domain.coi.graph import ApplicationGraph, Link, ReferenceGraph
from eligibility.domain.coi.messages import CLAUSE, RELATED_PARTY, SAME_ENTITY

__all__ = [
    "CLAUSE",
    "RELATED_PARTY",
    "SAME_ENTITY",
    "ApplicationGraph",
    "Link",
    "ReferenceGraph",
    "assess_conflicts",
    "assess_in",
]
