"""The registry refuses, at start-up, declarations that would fail or drift later."""

from __future__ import annotations

import re
from typing import Any, Protocol

import pytest

from app.plugins import Plugin, load_plugins
from app.rpc.errors import DomainError, NotFound
from app.rpc.namespace import Method, Namespace
from app.rpc.registry import Registry, RegistryError
from app.server import build_api
from app.settings import Settings


async def ok() -> int:
    """A valid handler."""
    return 1


class Missing(NotFound):
    code = 9001


class AlsoMissing(NotFound):
    code = 9001


def test_rpc_namespace_is_reserved() -> None:
    with pytest.raises(RegistryError, match="reserved"):
        Registry([Namespace("rpc", [ok])])


@pytest.mark.parametrize("name", ["Calc", "my-ns", "1x", ""])
def test_namespace_names_are_snake_case(name: str) -> None:
    with pytest.raises(RegistryError, match="snake_case"):
        Registry([Namespace(name, [ok])])


def test_method_names_are_snake_case() -> None:
    with pytest.raises(RegistryError, match="snake_case"):
        Registry([Namespace("ns", [Method(ok, name="doIt")])])


def test_duplicate_methods_are_refused() -> None:
    with pytest.raises(RegistryError, match="twice"):
        Registry([Namespace("ns", [ok, ok])])


def test_handlers_must_be_async() -> None:
    def sync() -> int:
        return 1

    with pytest.raises(RegistryError, match="async def"):
        Registry([Namespace("ns", [sync])])  # type: ignore[list-item]


def test_every_parameter_and_result_needs_a_type() -> None:
    async def untyped(x):  # type: ignore[no-untyped-def]
        return x

    async def no_return(x: int):  # type: ignore[no-untyped-def]
        return x

    with pytest.raises(RegistryError, match="annotation"):
        Registry([Namespace("ns", [untyped])])
    with pytest.raises(RegistryError, match="return type"):
        Registry([Namespace("ns", [no_return])])


def test_var_keyword_parameters_are_refused() -> None:
    async def anything(**kwargs: Any) -> None:
        pass

    with pytest.raises(RegistryError, match="kwargs"):
        Registry([Namespace("ns", [anything])])


def test_param_names_that_clash_with_the_model_are_refused() -> None:
    async def clash(schema: str) -> str:
        return schema

    with pytest.raises(RegistryError, match="reserved"):
        Registry([Namespace("ns", [clash])])


def test_error_codes_are_unique() -> None:
    with pytest.raises(RegistryError, match="share the code 9001"):
        Registry(
            [
                Namespace(
                    "ns",
                    [Method(ok, errors=[Missing]), Method(ok, name="other", errors=[AlsoMissing])],
                )
            ]
        )


def test_domain_errors_stay_out_of_the_reserved_range() -> None:
    class Bad(DomainError):
        code = -32001

    with pytest.raises(RegistryError, match="outside"):
        Registry([Namespace("ns", [Method(ok, errors=[Bad])])])


def test_the_shipped_registry_lists_every_method_with_docs_and_errors() -> None:
    registry, _ = build_api(Settings())
    names = registry.names
    assert {"calc.add", "calc.subtract", "calc.multiply", "calc.divide", "calc.sum"} <= set(names)
    assert names[-1] == "rpc.discover"
    for entry in registry:
        assert entry.summary, f"{entry.name} needs a docstring"
    assert registry.errors[1001].__name__ == "DivisionByZero"


def test_plugins_are_loaded_by_reference() -> None:
    [plugin] = load_plugins(["tests.helpers.probe:namespace"])
    assert [namespace.name for namespace in plugin.namespaces] == ["probe"]
    assert plugin.stores == []
    with pytest.raises(ValueError, match="module:attribute"):
        load_plugins(["tests.helpers.probe"])
    with pytest.raises(ValueError, match="not a Plugin or a Namespace"):
        load_plugins(["tests.helpers.probe:Probe"])


def test_readme_lists_every_error_code() -> None:
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    documented = {int(code) for code in re.findall(r"^\| (-?\d+) \| ", readme, re.M)}
    registry, _ = build_api(Settings())
    assert set(registry.errors) <= documented
    assert {
        -32700,
        -32600,
        -32601,
        -32602,
        -32603,
        -32001,
        -32002,
        -32003,
        -32004,
        -32005,
    } <= documented


class Ledger(Protocol):
    async def total(self) -> int: ...


async def total(ledger: Ledger) -> int:
    """The total."""
    return await ledger.total()


async def peek(settings: Settings) -> str:
    """The host."""
    return settings.host


def test_a_handler_that_asks_for_state_nobody_provides_is_refused_at_start() -> None:
    with pytest.raises(RegistryError, match="needs a Ledger, and no plugin provides one"):
        build_api(Settings(), [Plugin([Namespace("ledger", [total])])])
    with pytest.raises(RegistryError, match=r"not given the Settings.*StoreContext"):
        build_api(Settings(), [Plugin([Namespace("peek", [peek])])])
