"""The import contract of ``koin_media``: packages import downwards only, nothing but the app
factory imports a view, and no cycle hides in a function. Read from the source by
``scripts/import_graph.py`` (``python scripts/import_graph.py`` prints the figures)."""

from __future__ import annotations

import pytest

from scripts.import_graph import Import, all_imports, cycles, module_edges, package_edges, package_of

ROOT = "koin_media"

# Lowest first. A package may import its own modules and packages of a LOWER layer, never one of
# its own layer or above. The first layer is the core every feature stands on: small modules
# that may use each other (the cycle checks still hold them).
LAYERS: list[set[str]] = [
    {
        "config", "database", "localtime", "extensions", "roles", "validators", "json_bodies",
        "localdisk", "media", "i18n", "forms", "security", "access", "errors", "audit", "ratelimit",
        "jobs", "pagecache", "storage", "sitelinks", "leases",
    },
    {"reference"},
    {"accounts"},
    {"venues"},
    {"assets"},
    {"promo"},  # collections, kits and calls gather published assets
    {"booking"},  # venue pages show programs, slots and the venue's media
    {"visits"},  # reminders, reschedules, certificates, feedback, offline check-in around a booking
    {"notifications"},  # listens to accounts and booking signals
    {"admin", "api", "main", "cli", "worker", "insights"},
]  # fmt: skip

# Who may import the factory (``koin_media`` itself): the queue consumer builds its app.
FACTORY_USERS = {"koin_media.jobs"}


def rank(package: str) -> int:
    name = package.removeprefix(ROOT + ".")
    for number, layer in enumerate(LAYERS):
        if name in layer:
            return number
    raise AssertionError(f"{package} is in no layer of tests/test_import_layers.py: add it where it belongs")


def upward(imports: list[Import]) -> list[str]:
    """Imports from a package to one of the same layer or above (the factory aside)."""
    wrong = []
    for imp in imports:
        source, target = package_of(imp.source), package_of(imp.target)
        if source == ROOT or source == target:
            continue
        if target == ROOT:
            if imp.source not in FACTORY_USERS:
                wrong.append(f"{imp.source}:{imp.line} imports the app factory")
            continue
        if rank(target) > rank(source) or rank(target) == rank(source) != 0:
            wrong.append(f"{imp.source}:{imp.line} -> {imp.target}")
    return wrong


@pytest.fixture(scope="module")
def imports() -> list[Import]:
    return all_imports()


def test_every_package_has_a_layer(imports):
    for imp in imports:
        for module in (imp.source, imp.target):
            if package_of(module) != ROOT:
                rank(package_of(module))


def test_no_cycle_between_packages(imports):
    assert cycles(package_edges(imports)) == []


def test_no_cycle_between_modules(imports):
    assert cycles(module_edges(imports)) == []


def test_packages_import_downwards_only(imports):
    assert upward(imports) == []


def test_only_the_factory_imports_views(app, imports):
    """Route modules attach to their blueprint when ``create_app`` imports them; a model,
    service, job or API module that imported one would load pages with it."""
    views = {name for name in app.extensions["koin_views"] if not name.endswith(("jobs", "renditions", "crops"))}
    assert views, "create_app lists its view modules in app.extensions['koin_views']"
    assert [f"{i.source}:{i.line} -> {i.target}" for i in imports if i.target in views and i.source != ROOT] == []


def test_models_import_only_models_and_the_core(imports):
    core = {f"{ROOT}.{name}" for name in LAYERS[0]}
    wrong = [
        f"{i.source}:{i.line} -> {i.target}"
        for i in imports
        if i.source.endswith(".models")
        and package_of(i.target) not in core
        and not i.target.endswith(".models")
        and package_of(i.target) != package_of(i.source)  # its own package's rules and codes
    ]
    assert wrong == []


def test_function_local_imports_give_their_reason(imports):
    assert [f"{i.source}:{i.line} -> {i.target}" for i in imports if i.local and not i.reason] == []


# The checks themselves: each finds the break it exists for.


def test_the_checks_catch_a_cycle_and_an_upward_import():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    upwards = [Import("koin_media.venues.models", "koin_media.booking.models", 3, False, "")]
    assert upward(upwards) == ["koin_media.venues.models:3 -> koin_media.booking.models"]
    factory = [Import("koin_media.assets.services", "koin_media", 9, True, "reason")]
    assert upward(factory) == ["koin_media.assets.services:9 imports the app factory"]


def test_the_graph_reads_local_imports_and_their_reasons(tmp_path, monkeypatch):
    from scripts import import_graph

    package = tmp_path / "koin_media"
    (package / "feature").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "feature" / "__init__.py").write_text("")
    (package / "feature" / "models.py").write_text("")
    (package / "feature" / "views.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from ..config import X\n"
        "def page():\n    from . import models\n"
        "def other():\n    # a reason\n    from .models import Thing\n"
    )
    monkeypatch.setattr(import_graph, "ROOT", tmp_path)
    found = import_graph.all_imports()
    assert [(i.target, i.local, i.reason) for i in found] == [
        ("koin_media.feature.models", True, ""),
        ("koin_media.feature.models", True, "a reason"),
    ]
