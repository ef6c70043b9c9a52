"""The domains' own metrics (tasks by state, orders, players…): each store that is
``Measured`` is read once per scrape, before the text is written."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from app.stores import Measured, Sample

log = logging.getLogger("app.observe")


class DomainMetrics(Collector):
    def __init__(self, stores: Iterable[object]) -> None:
        self._stores = [store for store in stores if isinstance(store, Measured)]
        self._samples: list[Sample] = []

    async def refresh(self) -> None:
        """Read every store now; a store that cannot answer is left out of this scrape."""
        samples: list[Sample] = []
        for store in self._stores:
            try:
                samples += await store.measure()
            except Exception:
                log.warning("%s could not be measured", type(store).__name__, exc_info=True)
        self._samples = samples

    def collect(self) -> Iterator[Metric]:
        families: dict[str, GaugeMetricFamily | CounterMetricFamily] = {}
        for sample in self._samples:
            family = families.get(sample.name)
            if family is None:
                kind = GaugeMetricFamily if sample.kind == "gauge" else CounterMetricFamily
                family = families[sample.name] = kind(
                    sample.name, sample.help or sample.name, labels=list(sample.labels)
                )
            family.add_metric(list(sample.labels.values()), sample.value)
        yield from families.values()
