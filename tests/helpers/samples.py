"""Reading what a store's ``measure()`` answered, by metric name and labels."""

from __future__ import annotations

from collections.abc import Sequence

from app.stores import Measured, Sample

Series = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def measure(store: object) -> Series:
    """``store``'s samples by (name, sorted labels), each series once and of one kind."""
    assert isinstance(store, Measured)
    return series(await store.measure())


def series(samples: Sequence[Sample]) -> Series:
    found: Series = {}
    kinds: dict[str, str] = {}
    for sample in samples:
        key = (sample.name, tuple(sorted(sample.labels.items())))
        assert key not in found, f"{key} twice"
        assert kinds.setdefault(sample.name, sample.kind) == sample.kind
        assert sample.help, sample.name
        found[key] = sample.value
    return found


def value(found: Series, name: str, **labels: str) -> float:
    return found[name, tuple(sorted(labels.items()))]


def labels_of(found: Series, name: str, label: str) -> set[str]:
    """Every value ``label`` takes in the series of ``name``."""
    return {dict(labels)[label] for metric, labels in found if metric == name}
