"""Account facts: match customers, compute MRR, renewal date and stage, record what changed."""

from stageline.facts.recompute import RecomputeSummary, recompute_facts

__all__ = ["RecomputeSummary", "recompute_facts"]
