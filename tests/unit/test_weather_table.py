"""weather: the packed city table reads back exactly what was written, and refuses a file of
another format, another dataset, or a damaged one, rather than answering from it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from app.weather.cities import CityIndex
from app.weather.models import CityInfo
from app.weather.pack import load_table
from app.weather.table import CityTable, PackError


def city(id: int, name: str, country: str, population: int) -> CityInfo:
    return CityInfo(
        id=id,
        name=name,
        country=country,
        country_name={"FR": "France", "US": "United States"}[country],
        latitude=45.0,
        longitude=-1.5,
        population=population,
        timezone="Europe/Paris" if country == "FR" else "America/Chicago",
    )


PARIS = city(1, "Paris", "FR", 2_000_000)
PARIS_TX = city(2, "Paris", "US", 25_000)
LYON = city(3, "Lyon", "FR", 500_000)
TABLE = CityTable.build(
    [(PARIS_TX, ["Paname"]), (LYON, ["Lugdunum", "Lyons"]), (PARIS, ["Paname", "Lutèce"])]
)


def test_a_packed_table_reads_back_equal() -> None:
    assert CityTable.unpack(TABLE.pack("k1"), "k1") == TABLE
    assert CityTable.unpack(TABLE.pack("k1"), None) == TABLE  # an installed one, dataset pruned
    assert [TABLE.city(rank) for rank in range(len(TABLE))] == [PARIS, LYON, PARIS_TX]


def test_the_index_of_a_read_table_answers_as_the_built_one() -> None:
    index = CityIndex(CityTable.unpack(TABLE.pack("k1"), "k1"))
    assert index.find("paris") == PARIS
    assert index.find("PARIS", "US") == PARIS_TX
    assert index.find("Paname") == PARIS  # the most populous bearer of an alternate name
    assert index.find("lutece", "FR") == PARIS
    assert index.find("lutece", "US") is None
    assert index.find(3) == LYON
    assert index.find(3, "US") is None
    assert index.find("Paris", "DE") is None
    assert index.search("l", 5) == [LYON]
    assert index.search("p", 5) == [PARIS, PARIS_TX]


@pytest.mark.parametrize(
    ("damage", "why"),
    [
        (lambda data: data.replace(b'"format": 1', b'"format": 0'), "another format"),
        (lambda data: data[:-1], "damaged"),
        (lambda data: data + b"x", "damaged"),
        (lambda data: b"x" + data, "not a packed city table"),
        (lambda data: data.replace(b'"sections"', b'"sectionz"'), "damaged"),
    ],
)
def test_a_damaged_file_is_refused(damage: Callable[[bytes], bytes], why: str) -> None:
    data = TABLE.pack("k1")
    with pytest.raises(PackError, match=why):
        CityTable.unpack(damage(data), "k1")


def test_a_table_of_another_dataset_is_refused() -> None:
    with pytest.raises(PackError, match="another dataset"):
        CityTable.unpack(TABLE.pack("k1"), "k2")


def test_the_world_reads_back_equal() -> None:
    world = load_table()
    assert CityTable.unpack(world.pack("w"), "w") == world
