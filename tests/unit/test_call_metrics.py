"""A batch's calls are counted at once (app.observe.calls): the same figures as one by one."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from prometheus_client.core import Metric

from app.observe.calls import BUCKETS_S, CallMetrics
from app.rpc.dispatch import CallRecord

METHODS = ["calc.add", "calc.subtract"]

_records = st.lists(
    st.builds(
        CallRecord,
        method=st.sampled_from([*METHODS, "no.such"]),
        started=st.just(0.0),
        # Bounds themselves, and either side of them: where a bucket is decided.
        duration_s=st.one_of(st.sampled_from(BUCKETS_S), st.floats(0, 20, allow_nan=False)),
        code=st.sampled_from([None, None, -32602, -32003, -32001, 2001]),
    ),
    min_size=1,
    max_size=120,
)


def _figures(metrics: CallMetrics) -> list[tuple[str, tuple[tuple[str, str], ...], float]]:
    found: list[Metric] = list(metrics.collect())
    return sorted(
        (sample.name, tuple(sorted(sample.labels.items())), round(sample.value, 9))
        for metric in found
        if metric.name != "rpc_batch_size"
        for sample in metric.samples
    )


@given(_records, st.booleans())
def test_a_batch_is_counted_as_its_calls_one_by_one(records: list[CallRecord], same: bool) -> None:
    if same:  # the counted-at-once path: every call of one method
        records = [
            CallRecord(records[0].method, 0.0, duration_s=r.duration_s, code=r.code)
            for r in records
        ]
    batched, single = CallMetrics(METHODS), CallMetrics(METHODS)
    batched("r", records)
    for record in records:
        single("r", [record])
    assert _figures(batched) == _figures(single)
    assert batched.rejected == single.rejected
