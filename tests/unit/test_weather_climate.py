"""weather: the offline climate model is plausible and reproducible (properties, not numbers)."""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from app.clock import ManualClock
from app.weather import climate
from app.weather.cities import load
from app.weather.models import CityInfo
from tests.helpers.rpc import Client, MakeClient, result

INDEX = load()
SAMPLE = random.Random(2027).sample(INDEX.cities, 200)
"""200 cities drawn once from the whole dataset (a fixed seed, so failures reproduce)."""
JANUARY = datetime(2027, 1, 10, tzinfo=UTC).timestamp()
JULY = datetime(2027, 7, 10, tzinfo=UTC).timestamp()


def monthly_mean(city: CityInfo, year: int, month: int) -> float:
    """The model's mean temperature over a month, sampled every 13 hours (so at every hour)."""
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    step = 13 * 3600
    steps = int((end - start).total_seconds() // step)
    t0 = start.timestamp()
    return statistics.fmean(
        climate.observe(city, t0 + i * step).temperature_c for i in range(steps)
    )


def at(city: CityInfo, when: datetime) -> float:
    return climate.observe(city, when.timestamp()).temperature_c


def solar(city: CityInfo, day: date, hour: float) -> datetime:
    """The UTC instant of ``hour`` o'clock local solar time at ``city`` on ``day``."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return midnight + timedelta(hours=hour - city.longitude / 15)


async def test_july_in_sydney_is_colder_than_january(make_client: MakeClient) -> None:
    means = {}
    for name, when in (("January", JANUARY), ("July", JULY)):
        client = await make_client(clock=ManualClock(when))
        days = (await result(client, "weather.forecast", ["Sydney", "AU", 14]))["days"]
        means[name] = statistics.fmean(d["high"] + d["low"] for d in days) / 2
    assert means["July"] < means["January"] - 4


async def test_july_in_london_is_warmer_than_january(make_client: MakeClient) -> None:
    means = {}
    for name, when in (("January", JANUARY), ("July", JULY)):
        client = await make_client(clock=ManualClock(when))
        days = (await result(client, "weather.forecast", ["London", "GB", 14]))["days"]
        means[name] = statistics.fmean(d["high"] + d["low"] for d in days) / 2
    assert means["July"] > means["January"] + 8


def test_seasons_follow_the_hemisphere() -> None:
    for city in (c for c in SAMPLE if abs(c.latitude) >= 20):
        january, july = monthly_mean(city, 2027, 1), monthly_mean(city, 2027, 7)
        if city.latitude > 0:
            assert july > january + 5, city
        else:
            assert january > july + 3, city


def test_tropical_cities_are_warm_and_polar_ones_cold() -> None:
    tropical = random.Random(1).sample([c for c in INDEX if abs(c.latitude) < 12], 40)
    polar = [c for c in INDEX if c.latitude >= 66]
    assert len(polar) >= 5
    coolest_tropical = min(monthly_mean(c, 2027, m) for c in tropical for m in (1, 4, 7, 10))
    assert coolest_tropical > 20
    for city in polar:
        assert monthly_mean(city, 2027, 1) < -5, city
        assert monthly_mean(city, 2027, 1) < coolest_tropical - 25


def test_it_gets_colder_away_from_the_equator() -> None:
    bands: dict[int, list[float]] = {}
    for city in SAMPLE:
        annual = statistics.fmean(monthly_mean(city, 2027, m) for m in (1, 4, 7, 10))
        bands.setdefault(int(abs(city.latitude) // 15), []).append(annual)
    means = [statistics.fmean(bands[band]) for band in sorted(bands)]
    assert len(means) >= 4
    assert means == sorted(means, reverse=True)


def test_afternoons_are_warmer_than_dawns() -> None:
    for city in SAMPLE[:60]:
        days = [date(2027, 3, 1) + timedelta(days=i) for i in range(30)]
        afternoon = statistics.fmean(at(city, solar(city, d, 15)) for d in days)
        dawn = statistics.fmean(at(city, solar(city, d, 5)) for d in days)
        assert afternoon > dawn + 2, city


def test_day_and_night_follow_the_sun() -> None:
    for city in (c for c in SAMPLE if abs(c.latitude) < 60):
        for day in (date(2027, 3, 20), date(2027, 6, 21), date(2027, 12, 21)):
            assert climate.observe(city, solar(city, day, 12).timestamp()).is_day
            assert not climate.observe(city, solar(city, day, 0).timestamp()).is_day
    murmansk = INDEX.resolve("Murmansk")
    assert not climate.observe(murmansk, solar(murmansk, date(2027, 12, 21), 12).timestamp()).is_day
    assert climate.observe(murmansk, solar(murmansk, date(2027, 6, 21), 0).timestamp()).is_day


def test_snow_falls_only_in_the_cold_and_thunder_only_in_the_warm() -> None:
    conditions = set()
    for city in SAMPLE:
        for when in (JANUARY, JULY):
            for day in climate.outlook(city, when, 14):
                conditions.add(day.condition)
                if day.condition == "snow":
                    assert day.low_c < 3, (city, day)
                if day.condition == "thunderstorm":
                    assert day.high_c > 15, (city, day)
    assert conditions == {
        "clear", "partly_cloudy", "cloudy", "fog", "drizzle", "rain", "snow", "thunderstorm"
    }  # fmt: skip


def check_current(city: CityInfo, now: float, reading: dict[str, Any]) -> None:
    assert reading["city"]["id"] == city.id
    assert -70 <= reading["temperature"] <= 55
    assert -90 <= reading["feels_like"] <= 70
    assert 0 <= reading["humidity_pct"] <= 100
    assert 0 <= reading["wind_speed_kmh"] <= 150
    assert 0 <= reading["wind_direction_deg"] <= 359
    observed = datetime.fromisoformat(reading["observed_at"].replace("Z", "+00:00"))
    assert observed.utcoffset() == datetime.fromtimestamp(now, city.zone).utcoffset()
    assert 0 <= now - observed.timestamp() < climate.STEP_S
    assert observed.timestamp() % climate.STEP_S == 0


def check_forecast(city: CityInfo, now: float, forecast: dict[str, Any]) -> None:
    today = datetime.fromtimestamp(now, city.zone).date()
    days = forecast["days"]
    assert [d["date"] for d in days] == [str(today + timedelta(days=i)) for i in range(14)]
    for day in days:
        assert -70 <= day["low"] <= day["high"] <= 55
        assert 0 <= day["precipitation_chance_pct"] <= 100


@pytest.mark.parametrize("now", [JANUARY, JULY], ids=["january", "july"])
async def test_every_sampled_city_gets_physical_values(make_client: MakeClient, now: float) -> None:
    client = await make_client(clock=ManualClock(now))
    for city in SAMPLE:
        params = {"city": city.id}
        reading = await result(client, "weather.current", params)
        forecast = await result(client, "weather.forecast", {**params, "days": 14})
        check_current(city, now, reading)
        check_forecast(city, now, forecast)
        today = forecast["days"][0]
        assert today["low"] <= reading["temperature"] <= today["high"]
        assert today["condition"] == reading["condition"]
        brief = await result(client, "weather.get_temperature", params)
        assert (brief["temperature"], brief["observed_at"]) == (
            reading["temperature"],
            reading["observed_at"],
        )


async def test_the_same_question_on_the_same_day_gets_the_same_answer(
    make_client: MakeClient,
) -> None:
    clock = ManualClock(JANUARY)
    first, second = await make_client(clock=clock), await make_client(clock=ManualClock(JANUARY))
    cities = [{"city": c.name, "country": c.country} for c in SAMPLE[:20]]
    for params in cities:
        for method in ("weather.current", "weather.forecast"):
            assert await result(first, method, params) == await result(second, method, params)
    forecasts = [await result(first, "weather.forecast", p) for p in cities]
    clock.advance(climate.STEP_S - 1)  # still the same reading
    assert [await result(first, "weather.current", p) for p in cities] == [
        await result(second, "weather.current", p) for p in cities
    ]
    clock.advance(3 * 3600)  # later the same day (for most cities)
    later = [await result(first, "weather.forecast", p) for p in cities]
    same_day = [a == b for a, b in zip(forecasts, later, strict=True)]
    assert sum(same_day) >= 15
    for a, b, same in zip(forecasts, later, same_day, strict=True):
        assert same or a["days"][1] == b["days"][0]  # a new day: the forecast moved on a day


async def test_cities_and_days_differ(client: Client) -> None:
    readings = [climate.observe(c, JANUARY) for c in SAMPLE[:50]]
    assert len({r.temperature_c for r in readings}) == 50
    paris = INDEX.resolve("Paris")
    noon = [at(paris, datetime(2027, 3, d, 12, tzinfo=UTC)) for d in range(1, 29)]
    assert len({round(t, 6) for t in noon}) == 28
    assert statistics.pstdev(noon) > 1  # the weather changes from day to day...
    assert max(abs(b - a) for a, b in itertools.pairwise(noon)) < 15  # ...smoothly


def test_answers_do_not_depend_on_the_process_or_its_hash_seed() -> None:
    names = ("Paris", "Sydney", "Lagos", "Norilsk", "Quito")
    cities = [dataclasses.asdict(INDEX.resolve(name)) for name in names]
    script = (
        "import json, sys\n"
        "from app.weather.models import CityInfo\n"
        "from app.weather.climate import observe\n"
        "readings = [observe(CityInfo(**c), float(sys.argv[2])) for c in json.loads(sys.argv[1])]\n"
        "print(json.dumps([[o.temperature_c, o.humidity_pct, o.wind_speed_kmh, o.condition]\n"
        "                  for o in readings]))\n"
    )
    outputs = []
    for seed in ("0", "4242"):
        done = subprocess.run(
            [sys.executable, "-c", script, json.dumps(cities), str(JANUARY)],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
            check=True,
        )
        outputs.append(json.loads(done.stdout))
    here = []
    for name in names:
        o = climate.observe(INDEX.resolve(name), JANUARY)
        here.append([o.temperature_c, o.humidity_pct, o.wind_speed_kmh, o.condition])
    assert outputs[0] == outputs[1] == here


def test_the_inlined_temperatures_are_the_model_s_formula_to_the_bit() -> None:
    # A forecast's highs and lows take 96 readings a day, inlined for speed; they must stay the
    # normal, plus the blended anomaly, plus the blended half range times the day's cycle.
    draw = random.Random(14)
    for city in SAMPLE:
        t = draw.randrange(int(JANUARY), int(JULY) + 180 * 86_400, climate.STEP_S)
        span = climate._span(city, datetime.fromtimestamp(t, city.zone).date())
        a, b = span.a, span.b
        marks = range(t, t + 96 * climate.STEP_S, climate.STEP_S)
        assert climate._temperatures(city, span, marks) == [
            climate.normal_c(city.latitude, m)
            + span.blend(m, a.anomaly_c, b.anomaly_c)
            + span.blend(m, a.half_range_c, b.half_range_c) * climate._diurnal(city, m)
            for m in marks
        ]


def test_the_model_s_memos_are_bounded() -> None:
    # They are process-wide and keyed by (city, instant or day): unbounded, they would grow
    # with every quarter hour the server runs.
    memos = (climate._observation, climate._extremes, climate._day, climate._noon)
    assert all(0 < (memo.cache_info().maxsize or 0) <= 65_536 for memo in memos)
