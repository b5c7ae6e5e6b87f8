"""Loading plugins: the built-in one, the ``vhdr`` entry-point group, and any given in code.

Every failure is reported as a :class:`PluginProblem` naming the plugin, never raised: a plugin
that cannot be imported, has a hook with a wrong signature or an unknown hook name, or uses a hook
wrapper is left out; the others keep working. ``VHDR_DISABLE_PLUGINS`` (comma-separated entry-point
or distribution names, any case) keeps named plugins from loading at all.
"""

import functools
import importlib.metadata
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pluggy

from vs_vhdr import __version__
from vs_vhdr.plugins import builtin, hookspecs

ENTRY_POINT_GROUP = "vhdr"
DISABLE_VARIABLE = "VHDR_DISABLE_PLUGINS"
BUILTIN_NAME = "builtin"


@dataclass(frozen=True)
class PluginInfo:
    """One plugin as ``vhdr plugins`` shows it.

    ``status`` is ``active``, ``disabled`` (by ``VHDR_DISABLE_PLUGINS``) or ``failed``.
    """

    name: str
    version: str
    distribution: str
    origin: str
    status: str
    hooks: tuple[str, ...] = ()


@dataclass(frozen=True)
class PluginProblem:
    """Something a plugin got wrong; ``stage`` is ``load`` or the hook that failed."""

    plugin: str
    stage: str
    message: str

    def __str__(self) -> str:
        return f"plugin {self.plugin!r} ({self.stage}): {self.message}"


def disabled_names(value: str | None = None) -> set[str]:
    """Case-folded names in ``VHDR_DISABLE_PLUGINS`` (or in ``value``)."""
    text = os.environ.get(DISABLE_VARIABLE, "") if value is None else value
    return {part.strip().casefold() for part in text.split(",") if part.strip()}


class PluginSet:
    """A pluggy ``PluginManager`` with vhdr's hooks, its plugins and their problems."""

    def __init__(
        self,
        *,
        entry_points: bool = True,
        disabled: set[str] | None = None,
        extra: Sequence[tuple[str, object]] = (),
    ) -> None:
        """Load the built-in plugin, then entry points (sorted by name), then ``extra``.

        Args:
            entry_points: load the ``vhdr`` entry-point group.
            disabled: names to skip (default: from ``VHDR_DISABLE_PLUGINS``).
            extra: ``(name, plugin)`` pairs registered in code (tests, embedding applications).
        """
        self.manager = pluggy.PluginManager(hookspecs.PROJECT)
        self.manager.add_hookspecs(hookspecs)
        self.problems: list[PluginProblem] = []
        self._infos: dict[str, PluginInfo] = {}
        self._disabled = disabled_names() if disabled is None else {d.casefold() for d in disabled}
        self._add(
            BUILTIN_NAME, functools.partial(_identity, builtin), __version__, "vs_vhdr", "built in"
        )
        if entry_points:
            found = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
            for ep in sorted(found, key=lambda e: e.name):
                dist = ep.dist.name if ep.dist else "?"
                version = ep.dist.version if ep.dist else "?"
                self._add(ep.name, ep.load, version, dist, f"entry point {ep.value}")
        for name, plugin in extra:
            self._add(name, functools.partial(_identity, plugin), "?", "?", "registered in code")

    def infos(self) -> list[PluginInfo]:
        """Every plugin seen, in load order."""
        return list(self._infos.values())

    def report(self, plugin: str, stage: str, message: str) -> None:
        """Record a problem of ``plugin``."""
        self.problems.append(PluginProblem(plugin, stage, message))

    def implementations(self, hook: str) -> Iterator[tuple[str, Callable[..., Any], list[str]]]:
        """``(plugin, function, argument names)`` of ``hook`` in pluggy's call order."""
        caller = getattr(self.manager.hook, hook)
        for impl in reversed(caller.get_hookimpls()):
            yield impl.plugin_name, impl.function, list(impl.argnames)

    def _add(
        self, name: str, load: Callable[[], object], version: str, dist: str, origin: str
    ) -> None:
        def info(status: str, hooks: tuple[str, ...] = ()) -> PluginInfo:
            return PluginInfo(name, version, dist, origin, status, hooks)

        if name in self._infos:
            self.report(name, "load", f"a plugin named {name!r} is already loaded ({origin})")
            return
        if {name.casefold(), dist.casefold()} & self._disabled:
            self._infos[name] = info("disabled")
            return
        try:
            plugin = load()
            self.manager.register(plugin, name=name)
        except Exception as error:  # any import or validation error of third-party code
            self.report(name, "load", f"{type(error).__name__}: {error}")
            self._infos[name] = info("failed")
            return
        faults = self._check(plugin)
        if faults:
            self.manager.unregister(plugin)
            for fault in faults:
                self.report(name, "load", fault)
            self._infos[name] = info("failed")
            return
        hooks = tuple(sorted(c.name for c in self.manager.get_hookcallers(plugin) or []))
        for attribute in _unmarked_hooks(plugin, hooks):
            self.report(
                name,
                "load",
                f"{attribute} is not marked with pluggy.HookimplMarker('vhdr'); ignored",
            )
        self._infos[name] = info("active", hooks)

    def _check(self, plugin: object) -> list[str]:
        faults = []
        known = hookspecs.hook_names()
        for caller in self.manager.get_hookcallers(plugin) or []:
            if not caller.has_spec():
                faults.append(f"unknown hook {caller.name}; vhdr's hooks are {', '.join(known)}")
            for impl in caller.get_hookimpls():
                if impl.plugin is plugin and (impl.hookwrapper or impl.wrapper):
                    faults.append(f"{caller.name} is a hook wrapper; vhdr does not support them")
        return faults


def _identity(plugin: object) -> object:
    return plugin


def _unmarked_hooks(plugin: object, marked: tuple[str, ...]) -> list[str]:
    return [
        n
        for n in dir(plugin)
        if n.startswith("vhdr_") and n not in marked and callable(getattr(plugin, n, None))
    ]
