"""weather: real cities, found by prefix and resolved by name, with suggestions when unknown."""

from __future__ import annotations

import random
import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.weather.cities import fold, load
from app.weather.errors import CityNotFound
from app.weather.folding import LAST_COMBINING_PLANE
from app.weather.models import CityInfo
from tests.helpers.rpc import Client, error, result

INDEX = load()
FOLDED = [(fold(c.name), c) for c in INDEX.cities]
SAMPLE = random.Random(3).sample(INDEX.cities, 300)


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("São Paulo", "sao paulo"),
        ("KÖLN", "koln"),
        ("Łódź", "lodz"),
        ("  New   York ", "new york"),
        ("Straße", "strasse"),
        ("Xi’an", "xi'an"),
        ("ＴＯＫＹＯ", "tokyo"),
    ],
)
def test_folding_ignores_case_accents_and_spacing(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_no_combining_mark_lies_beyond_the_folding_table() -> None:
    last = max(cp for cp in range(0x110000) if unicodedata.combining(chr(cp)))
    assert last <= LAST_COMBINING_PLANE


def test_the_dataset_is_the_real_world() -> None:
    assert len(INDEX) > 30_000
    assert {c.country for c in INDEX} >= {"FR", "US", "AU", "BR", "JP", "NG", "IN", "GL", "NO"}
    zones = {c.timezone for c in INDEX}
    for zone in zones:  # every zone loads from tzdata, as in python:3.11-slim
        datetime(2027, 1, 1, tzinfo=ZoneInfo(zone)).utcoffset()
    for city in INDEX:
        assert -90 <= city.latitude <= 90
        assert -180 <= city.longitude <= 180
        assert city.population >= 0  # Plymouth, Montserrat, buried by a volcano, has 0
        assert len(city.country) == 2
        assert city.name.strip() == city.name != ""


async def test_search_matches_prefixes_by_population(client: Client) -> None:
    found = await result(client, "weather.search_cities", {"query": "san", "limit": 20})
    assert len(found) == 20
    assert all(fold(c["name"]).startswith("san") for c in found)
    populations = [c["population"] for c in found]
    assert populations == sorted(populations, reverse=True)
    assert found[0]["name"] == "Santiago"


@pytest.mark.parametrize("query", ["sao p", "SÃO P", "São p", "  sao   p"])
async def test_search_ignores_case_and_accents(client: Client, query: str) -> None:
    found = await result(client, "weather.search_cities", [query, 3])
    assert (found[0]["name"], found[0]["country"]) == ("São Paulo", "BR")


async def test_search_results_describe_the_city(client: Client) -> None:
    [sydney] = await result(client, "weather.search_cities", {"query": "Sydney", "limit": 1})
    assert sydney == {
        "id": 2147714,
        "name": "Sydney",
        "country": "AU",
        "country_name": "Australia",
        "latitude": -33.86785,
        "longitude": 151.20732,
        "population": sydney["population"],
        "timezone": "Australia/Sydney",
    }
    assert sydney["population"] > 4_000_000


async def test_a_trailing_space_ends_a_word(client: Client) -> None:
    found = await result(client, "weather.search_cities", ["new ", 50])
    assert found[0]["name"] == "New York City"
    assert all(c["name"].startswith("New ") for c in found)
    assert "Newcastle" in [
        c["name"] for c in await result(client, "weather.search_cities", ["new", 50])
    ]


async def test_search_without_match_is_empty(client: Client) -> None:
    assert await result(client, "weather.search_cities", ["qxqxq"]) == []


@pytest.mark.parametrize(
    ("params", "path"),
    [({"query": ""}, "query"), ({"query": "a", "limit": 0}, "limit"), (["a", 51], "limit")],
)
async def test_search_params_are_bounded(client: Client, params: object, path: str) -> None:
    err = await error(client, "weather.search_cities", params)
    assert err["code"] == -32602
    assert [p["path"] for p in err["data"]] == [path]


@settings(max_examples=60, deadline=None)
@given(city=st.sampled_from(SAMPLE), length=st.integers(1, 6), limit=st.integers(1, 50))
def test_search_is_the_most_populous_prefix_matches(
    city: CityInfo, length: int, limit: int
) -> None:
    prefix = fold(city.name)[:length]
    expected = [c for name, c in FOLDED if name.startswith(prefix)][:limit]
    assert INDEX.search(prefix, limit) == expected
    assert city in INDEX.search(prefix, 50) or len(expected) == limit


@settings(max_examples=100, deadline=None)
@given(city=st.sampled_from(SAMPLE))
def test_a_name_resolves_to_its_most_populous_bearer(city: CityInfo) -> None:
    key = fold(city.name)
    namesakes = [c for name, c in FOLDED if name == key]
    assert INDEX.resolve(city.name) == namesakes[0]
    assert INDEX.resolve(city.name.upper(), city.country) == next(
        c for c in namesakes if c.country == city.country
    )


async def test_an_ambiguous_name_means_the_most_populous_city(client: Client) -> None:
    paris = await result(client, "weather.get_temperature", ["Paris"])
    assert (paris["city"]["name"], paris["city"]["country"]) == ("Paris", "FR")
    for country in ("US", "us"):
        texas = await result(client, "weather.current", {"city": "paris", "country": country})
        assert (texas["city"]["country"], texas["city"]["timezone"]) == ("US", "America/Chicago")


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Wien", "Vienna"), ("München", "Munich"), ("東京", "Tokyo"), ("sao paulo", "São Paulo")],
)
async def test_local_names_resolve(client: Client, name: str, expected: str) -> None:
    found = await result(client, "weather.get_temperature", [name])
    assert found["city"]["name"] == expected


async def test_an_unknown_city_suggests_what_was_meant(client: Client) -> None:
    err = await error(client, "weather.current", {"city": "Pariss"})
    assert err["code"] == 2001
    assert err["message"] == "City not found"
    assert err["data"]["city"] == "Pariss"
    assert err["data"]["country"] is None
    suggestions = err["data"]["did_you_mean"]
    assert 1 <= len(suggestions) <= 5
    assert suggestions[0] == {"id": 2988507, "name": "Paris", "country": "FR"}


async def test_a_city_in_the_wrong_country_suggests_the_right_countries(client: Client) -> None:
    err = await error(client, "weather.forecast", {"city": "Paris", "country": "de"})
    assert err["code"] == 2001
    assert err["data"]["country"] == "DE"
    assert [(s["name"], s["country"]) for s in err["data"]["did_you_mean"][:2]] == [
        ("Paris", "FR"),
        ("Paris", "US"),
    ]


async def test_a_geonames_id_picks_one_of_several_namesakes(client: Client) -> None:
    found = await result(client, "weather.search_cities", ["springfield", 50])
    american = [c for c in found if c["country"] == "US"]
    assert len(american) >= 3
    for city in american:
        reading = await result(client, "weather.current", {"city": city["id"]})
        assert reading["city"] == city
    by_name = await result(client, "weather.current", ["Springfield", "US"])
    assert by_name["city"] == american[0]
    err = await error(client, "weather.forecast", {"city": american[1]["id"], "country": "FR"})
    assert err["code"] == 2001
    assert err["data"] == {"city": american[1]["id"], "country": "FR", "did_you_mean": []}
    assert (await error(client, "weather.current", [999_999_999]))["code"] == 2001


async def test_nonsense_gets_few_or_no_suggestions(client: Client) -> None:
    err = await error(client, "weather.get_temperature", ["Qqqqqqqqqqqqqqqqqqq"])
    assert err["code"] == 2001
    assert err["data"]["did_you_mean"] == []


@settings(max_examples=40, deadline=None)
@given(city=st.sampled_from(SAMPLE), typo=st.integers(0, 10_000))
def test_a_typo_gets_at_most_five_suggestions(city: CityInfo, typo: int) -> None:
    name = fold(city.name)
    at = typo % len(name)
    misspelt = name[:at] + "q" + name[at + 1 :] + "x"
    if any(name == misspelt for name, _ in FOLDED):
        return
    with pytest.raises(CityNotFound) as caught:
        INDEX.resolve(misspelt, city.country)
    suggestions = caught.value.data["did_you_mean"]
    assert len(suggestions) <= 5
    assert len({s["id"] for s in suggestions}) == len(suggestions)
    for suggestion in suggestions:
        assert INDEX.resolve(suggestion["id"]).name == suggestion["name"]


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"city": ""}, "city.name"),
        ({"city": "x" * 101}, "city.name"),
        ({"city": 0}, "city.id"),
        ({"city": True}, "city"),
        ({"city": None}, "city"),
        ({"city": 2.5}, "city"),
        ({"city": "Paris", "country": "FRA"}, "country"),
        ({"city": "Paris", "country": "F1"}, "country"),
    ],
)
async def test_city_params_are_checked(client: Client, params: object, path: str) -> None:
    err = await error(client, "weather.current", params)
    assert err["code"] == -32602
    assert [p["path"] for p in err["data"]] == [path]
