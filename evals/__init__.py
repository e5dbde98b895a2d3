"""The answer-fidelity evaluation suite: datasets, judge-free metrics, baselines and reports."""
