"""``CityTable``: the city index's data as a few flat arrays, and their packed file format.

Cities are numbered by *rank*, most populous first (ties by GeoNames id), and every column is
indexed by rank. Strings that many cities share (country codes and names, time zones) are
held once. Alternate names, ten per city, are one UTF-8 blob with offsets, sorted for
bisection; as a dictionary of strings they took 29 MB, as a blob they take 7.

The packed form is a line of JSON (the format, the dataset's key, each section's kind and
size), then the sections' bytes: no code runs on loading it, and a damaged or stale file is
rejected (``PackError``), never half-read.
"""

from __future__ import annotations

import json
import sys
from array import array
from collections.abc import Iterable, Sequence, Sized
from dataclasses import dataclass, fields
from typing import Any

from app.weather.folding import fold
from app.weather.fuzzy import FuzzyNames
from app.weather.models import CityInfo

FORMAT = 1
"""Bump when the sections change: older packed files are then rebuilt, not misread."""
_MAGIC = b"rpc-hub city table\n"
_SEPARATOR = "\n"
"""Joins the names of a list section: neither GeoNames names nor folded ones hold it."""


class PackError(ValueError):
    """A packed table that cannot be used: another format or dataset, or damaged."""


@dataclass(frozen=True, slots=True)
class CityTable:
    """Every city by rank, their names folded and sorted, and the fuzzy search's letter sets."""

    ids: array[int]
    latitudes: array[float]
    longitudes: array[float]
    populations: array[int]
    countries: array[int]
    """Per rank, an index into ``country_codes`` and ``country_names``."""
    zones: array[int]
    """Per rank, an index into ``zone_names``."""
    names: list[str]
    country_codes: list[str]
    country_names: list[str]
    zone_names: list[str]
    folded: list[str]
    """Each folded name once, in the order of its most populous bearer (ties go to it)."""
    by_name: array[int]
    """Every rank, sorted by (folded name, rank): prefixes and namesakes are runs of it."""
    name_order: array[int]
    """The indexes into ``folded`` in the order of the names."""
    name_runs: array[int]
    """Where the run of each name of ``name_order`` starts in ``by_name``, and where the last
    one ends."""
    by_id: array[int]
    """Every rank, sorted by GeoNames id."""
    sorted_ids: array[int]
    """The ids in ``by_id``'s order, for bisection."""
    alternates: bytes
    """Every folded alternate name once, UTF-8, in byte order, end to end."""
    alternate_starts: array[int]
    """Where each alternate name starts in ``alternates``, and where the last one ends."""
    alternate_ranks: array[int]
    """The most populous city bearing each alternate name."""
    letter_lengths: array[int]
    letter_chars: str
    letter_starts: array[int]
    letter_bits: bytes
    """The fuzzy search's bitsets (``FuzzyNames.letter_sets``), end to end in ``letter_bits``."""

    def __len__(self) -> int:
        return len(self.ids)

    def city(self, rank: int) -> CityInfo:
        """The record of the city of ``rank``, made when asked: 34,000 of them held 9 MB."""
        country = self.countries[rank]
        return CityInfo(
            id=self.ids[rank],
            name=self.names[rank],
            country=self.country_codes[country],
            country_name=self.country_names[country],
            latitude=self.latitudes[rank],
            longitude=self.longitudes[rank],
            population=self.populations[rank],
            timezone=self.zone_names[self.zones[rank]],
        )

    def fuzzy(self) -> FuzzyNames:
        """The "did you mean" search over ``folded``, its letter sets read, not counted again."""
        starts, bits, chars = self.letter_starts, self.letter_bits, self.letter_chars
        sets = (
            (length, chars[i], int.from_bytes(bits[starts[i] : starts[i + 1]], "little"))
            for i, length in enumerate(self.letter_lengths)
        )
        return FuzzyNames(self.folded, sets)

    @classmethod
    def build(cls, cities: Iterable[tuple[CityInfo, Sequence[str]]]) -> CityTable:
        """The table of ``cities``, each given with its alternate names (about a second)."""
        ranked = sorted(cities, key=lambda pair: (-pair[0].population, pair[0].id))
        records = [city for city, _ in ranked]
        countries: dict[str, int] = {}
        country_names: list[str] = []
        zones: dict[str, int] = {}
        for city in records:
            if city.country not in countries:
                countries[city.country] = len(countries)
                country_names.append(city.country_name)
            zones.setdefault(city.timezone, len(zones))
        folded_of = [fold(city.name) for city in records]
        first: dict[str, int] = {}
        for name in folded_of:
            first.setdefault(name, len(first))
        by_name = sorted(range(len(records)), key=lambda rank: (folded_of[rank], rank))
        runs: dict[str, int] = {}
        for at, rank in enumerate(by_name):
            runs.setdefault(folded_of[rank], at)
        by_id = sorted(range(len(records)), key=lambda rank: records[rank].id)
        # An alternate name means the most populous city that bears it.
        alternate_of: dict[bytes, int] = {}
        for rank, (_, alternates) in enumerate(ranked):
            for alternate in alternates:
                alternate_of.setdefault(encode(fold(alternate)), rank)
        sorted_alternates = sorted(alternate_of)
        starts = [0]
        for encoded in sorted_alternates:
            starts.append(starts[-1] + len(encoded))
        letter_lengths, letter_chars, letter_bits = [], [], []
        for length, letter, bitset in FuzzyNames(list(first)).letter_sets():
            letter_lengths.append(length)
            letter_chars.append(letter)
            letter_bits.append(bitset.to_bytes((bitset.bit_length() + 7) // 8, "little"))
        letter_starts = [0]
        for bits in letter_bits:
            letter_starts.append(letter_starts[-1] + len(bits))
        return cls(
            ids=array("q", [city.id for city in records]),
            latitudes=array("d", [city.latitude for city in records]),
            longitudes=array("d", [city.longitude for city in records]),
            populations=array("q", [city.population for city in records]),
            countries=array("H", [countries[city.country] for city in records]),
            zones=array("H", [zones[city.timezone] for city in records]),
            names=[city.name for city in records],
            country_codes=list(countries),
            country_names=country_names,
            zone_names=list(zones),
            folded=list(first),
            by_name=array("I", by_name),
            name_order=array("I", [first[name] for name in runs]),
            name_runs=array("I", [*runs.values(), len(by_name)]),
            by_id=array("I", by_id),
            sorted_ids=array("q", [records[rank].id for rank in by_id]),
            alternates=b"".join(sorted_alternates),
            alternate_starts=array("I", starts),
            alternate_ranks=array("I", [alternate_of[name] for name in sorted_alternates]),
            letter_lengths=array("I", letter_lengths),
            letter_chars="".join(letter_chars),
            letter_starts=array("I", letter_starts),
            letter_bits=b"".join(letter_bits),
        )

    def pack(self, key: str) -> bytes:
        """The table as a file's bytes, marked as built from the dataset ``key`` names."""
        sections: list[list[Any]] = []
        blobs: list[bytes] = []
        for column in fields(self):
            kind, blob = _encode(getattr(self, column.name))
            sections.append([column.name, kind, len(blob)])
            blobs.append(blob)
        header = {"format": FORMAT, "key": key, "byteorder": sys.byteorder, "sections": sections}
        return b"".join([_MAGIC, json.dumps(header).encode(), b"\n", *blobs])

    @classmethod
    def unpack(cls, data: bytes, key: str | None) -> CityTable:
        """The table ``pack`` wrote, if it is of this format and (unless ``key`` is None) of
        the dataset ``key`` names; else ``PackError``."""
        if not data.startswith(_MAGIC):
            raise PackError("not a packed city table")
        end = data.find(b"\n", len(_MAGIC))
        try:
            header = json.loads(data[len(_MAGIC) : end])
        except ValueError as exc:
            raise PackError("its header is damaged") from exc
        if header.get("format") != FORMAT or header.get("byteorder") != sys.byteorder:
            raise PackError(f"another format ({header.get('format')}, {header.get('byteorder')})")
        if key is not None and header.get("key") != key:
            raise PackError(f"built from another dataset ({header.get('key')})")
        columns: dict[str, Any] = {}
        at = end + 1
        try:
            for name, kind, size in header["sections"]:
                columns[name] = _decode(kind, data[at : at + size])
                at += size
        except (KeyError, TypeError, ValueError) as exc:  # PackError is a ValueError too
            raise PackError(f"its sections are damaged ({exc})") from exc
        if at != len(data) or set(columns) != {column.name for column in fields(cls)}:
            raise PackError("its sections are damaged")
        table = cls(**columns)
        table._check()
        return table

    def _check(self) -> None:
        """Lengths that must agree, so that a damaged file fails here and not in a call."""
        count = len(self.ids)
        per_rank: list[Sized] = [self.latitudes, self.longitudes, self.populations, self.names]
        per_rank += [self.countries, self.zones, self.by_name, self.by_id]
        if any(len(column) != count for column in [*per_rank, self.sorted_ids]):
            raise PackError("its columns differ in length")
        alternates = len(self.alternate_ranks)
        letters = len(self.letter_lengths)
        if (
            len(self.alternate_starts) != alternates + 1
            or self.alternate_starts[-1] != len(self.alternates)
            or len(self.letter_chars) != letters
            or len(self.letter_starts) != letters + 1
            or self.letter_starts[-1] != len(self.letter_bits)
            or len(self.country_codes) != len(self.country_names)
            or len(self.name_order) != len(self.folded)
            or len(self.name_runs) != len(self.folded) + 1
        ):
            raise PackError("its name sections differ in length")


def encode(name: str) -> bytes:
    """``name`` as the alternates blob holds it: UTF-8, whose byte order is code point order."""
    return name.encode("utf-8", "surrogatepass")


def _encode(value: object) -> tuple[str, bytes]:
    if isinstance(value, array):
        return f"array:{value.typecode}:{value.itemsize}", value.tobytes()
    if isinstance(value, bytes):
        return "bytes", value
    if isinstance(value, str):
        return "str", encode(value)
    if isinstance(value, list):
        if any(_SEPARATOR in item for item in value):
            raise ValueError(f"a name holds {_SEPARATOR!r}, which joins names")
        return f"list:{len(value)}", encode(_SEPARATOR.join(value))
    raise TypeError(f"no section kind for {type(value).__name__}")


def _decode(kind: str, blob: bytes) -> object:
    if kind.startswith("array:"):
        _, typecode, itemsize = kind.split(":")
        column = array(typecode)
        if column.itemsize != int(itemsize) or len(blob) % column.itemsize:
            raise PackError(f"an array of another item size ({kind})")
        column.frombytes(blob)
        return column
    if kind == "bytes":
        return blob
    text = blob.decode("utf-8", "surrogatepass")
    if kind == "str":
        return text
    if kind.startswith("list:"):
        items = text.split(_SEPARATOR) if int(kind[5:]) else []
        if len(items) != int(kind[5:]):
            raise PackError(f"a list of another length ({kind})")
        return items
    raise PackError(f"an unknown section kind ({kind})")
