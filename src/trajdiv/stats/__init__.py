"""Statistics of repeated runs: consistency, outcome, relations, power, paired comparison."""

from trajdiv.stats._compare import PairedDiff, mcnemar_exact, paired_difference, sign_flip_p
from trajdiv.stats._consistency import (
    cv_pct,
    jensen_shannon,
    mean_pairwise_jsd,
    outcome_consistency,
    resource_consistency,
)
from trajdiv.stats._outcome import (
    Pass1,
    SingleRunSpread,
    bootstrap_curve,
    pass1_clustered,
    pass_at_k,
    pass_hat_k,
    per_run_index_pass1,
    single_run_distribution,
    single_run_spread,
)
from trajdiv.stats._power import (
    PairedVariance,
    Power,
    benchmark_runs_needed,
    paired_power,
    paired_variance,
)
from trajdiv.stats._relations import (
    Relation,
    incoherence,
    rankdata,
    spearman,
    stratified_correlation,
)
from trajdiv.stats._summary import SUMMARY_VERSION, consistent_wrong, summarize

__all__ = [
    "SUMMARY_VERSION",
    "PairedDiff",
    "PairedVariance",
    "Pass1",
    "Power",
    "Relation",
    "SingleRunSpread",
    "benchmark_runs_needed",
    "bootstrap_curve",
    "consistent_wrong",
    "cv_pct",
    "incoherence",
    "jensen_shannon",
    "mcnemar_exact",
    "mean_pairwise_jsd",
    "outcome_consistency",
    "paired_difference",
    "paired_power",
    "paired_variance",
    "pass1_clustered",
    "pass_at_k",
    "pass_hat_k",
    "per_run_index_pass1",
    "rankdata",
    "resource_consistency",
    "sign_flip_p",
    "single_run_distribution",
    "single_run_spread",
    "spearman",
    "stratified_correlation",
    "summarize",
]
