"""weather: the "did you mean" search prunes, but finds exactly what scoring every name finds."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz, process

from app.weather.cities import _REMEMBERED, CityIndex, fold, load
from app.weather.fuzzy import FuzzyNames
from app.weather.models import CityInfo

INDEX = load()
BY_NAME: dict[str, list[int]] = {}
for _rank, _city in enumerate(INDEX.cities):
    BY_NAME.setdefault(fold(_city.name), []).append(_rank)
NAMES = list(BY_NAME)
"""Every folded name once, in the order of its most populous city."""
FUZZY = FuzzyNames(NAMES)
LETTERS = "abcdefghijklmnopqrstuvwxyz '-"
COMMON = "aeinorstlh "
"""The commonest letters in city names: junk made of them shares letters with most names."""


def exhaustive(query: str, limit: int, cutoff: float) -> list[tuple[float, int]]:
    """Every name scored, as the index did before it pruned (1.2 ms a query)."""
    matches = process.extract(query, NAMES, scorer=fuzz.ratio, limit=limit, score_cutoff=cutoff)
    return [(score, index) for _, score, index in matches]


def exhaustive_suggestions(key: str, country: str | None) -> list[dict[str, object]]:
    """``did_you_mean`` as it was computed before: the best 20 of every name, then five cities."""
    found: list[CityInfo] = []
    if country is not None:
        found.extend(INDEX.cities[rank] for rank in BY_NAME.get(key, ()))
    if len(found) < 5:
        for _, index in exhaustive(key, 20, 60.0):
            ranks = BY_NAME[NAMES[index]]
            preferred = [r for r in ranks if INDEX.cities[r].country == country]
            found.append(INDEX.cities[(preferred or ranks)[0]])
    cities = list(dict.fromkeys(found))[:5]
    return [{"id": c.id, "name": c.name, "country": c.country} for c in cities]


@st.composite
def near_misses(draw: st.DrawFn) -> str:
    """A real city's name with one to three typos: letters replaced, dropped, added or swapped."""
    name = fold(draw(st.sampled_from(INDEX.cities)).name)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(name)))
        letter = draw(st.sampled_from(LETTERS + name))
        edit = draw(st.sampled_from(["replace", "drop", "add", "swap"]))
        if edit == "replace":
            name = name[:at] + letter + name[at + 1 :]
        elif edit == "drop":
            name = name[:at] + name[at + 1 :]
        elif edit == "add":
            name = name[:at] + letter + name[at:]
        else:
            name = name[:at] + name[at + 1 : at + 2] + name[at : at + 1] + name[at + 2 :]
    return name


QUERIES = near_misses() | st.text(COMMON, max_size=40) | st.text(LETTERS, max_size=100)


@settings(max_examples=150, deadline=None)
@given(
    query=QUERIES,
    limit=st.sampled_from([1, 5, 6, 20]),
    cutoff=st.sampled_from([50.0, 60.0, 75.0, 90.0]),
)
def test_the_pruned_search_finds_what_scoring_every_name_finds(
    query: str, limit: int, cutoff: float
) -> None:
    assert FUZZY.top(query, limit, cutoff) == exhaustive(query, limit, cutoff)


@settings(max_examples=150, deadline=None)
@given(query=QUERIES, country=st.sampled_from([None, "US", "FR", "DE", "IN", "BR", "GL"]))
def test_suggestions_are_those_of_the_exhaustive_search(query: str, country: str | None) -> None:
    if INDEX.find(query, country) is not None:
        return
    assert INDEX.not_found(query, country).data == {
        "city": query,
        "country": country,
        "did_you_mean": exhaustive_suggestions(fold(query), country),
    }


@pytest.mark.parametrize(
    "query",
    ["", " ", "a", "pariss", "ratoinelsuar", "n roeimtalha", "reinode antula", "x" * 100, "東京x"],
)
def test_edge_and_worst_queries_agree(query: str) -> None:
    for limit in (1, 5, 20):
        assert FUZZY.top(query, limit, 60.0) == exhaustive(query, limit, 60.0)


def test_suggestions_are_remembered_for_a_bounded_number_of_names() -> None:
    paris = CityInfo(
        id=1,
        name="Paris",
        country="FR",
        country_name="France",
        latitude=48.85,
        longitude=2.35,
        population=2_000_000,
        timezone="Europe/Paris",
    )
    index = CityIndex([(paris, [])])
    misspelt = [f"paris{n}" for n in range(_REMEMBERED + 1)]
    assert not index.remembers(misspelt[0], None)
    for name in misspelt:
        assert index.not_found(name, None).data["did_you_mean"][0]["name"] == "Paris"
    assert not index.remembers(misspelt[0], None)  # the oldest made room
    assert all(index.remembers(name, None) for name in misspelt[1:])
    assert not index.remembers(misspelt[-1], "FR")  # the country is part of the question
    assert index.remembers(7, None)  # an unknown id has no suggestions to search for
