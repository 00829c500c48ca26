"""Loading plugins: entry points of the ``collectctl`` group, one by one, failures isolated.

- Built-in plugins (entry points of the ``collectctl`` distribution itself) always load.
- ``COLLECTCTL_LOAD_PLUGINS``: ``""`` loads no third-party plugin, ``"csv,quickbooks"`` only those.
- ``COLLECTCTL_BLOCK_PLUGINS``: a comma list of plugin names never to load.
- ``COLLECTCTL_STRICT_PLUGINS=1``: a plugin that fails to load raises (for plugin developers).
- ``COLLECTCTL_TRACE_PLUGINS=1``: print every hook call on stderr (every hook is called through
  pluggy, one implementation at a time, so the trace shows each plugin's call).

A plugin that fails to import or register is reported on stderr (with an uninstall hint) and by
``collectctl plugins``; the rest of the CLI carries on.

Scanning installed distributions for entry points is the slow part of start-up, so the list is
cached in ``$COLLECTCTL_HOME/cache/plugins.json`` together with each plugin command's one-line help
(so ``collectctl --help`` lists them without importing anything). The cache is keyed by the
modification times of the directories on ``sys.path``, which change whenever a distribution is
installed, upgraded or removed.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from collectctl.plugins.discovery_cache import (
    BUILTIN_FORMATS,
    CACHE_VERSION,
    builtin_formats_suffice,
    cache_file,
    cached_selection,
    fingerprint,
    is_builtin,
    read_cache,
    selected,
    selection_key,
)

if TYPE_CHECKING:  # pragma: no cover
    import click
    import pluggy

    from collectctl.letters.channel import Channel
    from collectctl.letters.templates import TemplatePack
    from collectctl.output import Format
    from collectctl.records import Source

GROUP = "collectctl"


@dataclass
class PluginInfo:
    """One discovered plugin: where it came from and whether it loaded."""

    name: str
    value: str
    dist: str
    version: str
    builtin: bool
    error: str | None = None
    hooks: list[str] = field(default_factory=list)


@dataclass
class _State:
    pm: pluggy.PluginManager | None = None
    infos: list[PluginInfo] = field(default_factory=list)
    sources: dict[str, Source] | None = None
    formats: dict[str, Format] | None = None
    channels: dict[str, Channel] | None = None
    template_packs: dict[str, TemplatePack] | None = None
    commands: dict[str, tuple[click.Command, str]] | None = None
    csv_presets: dict[str, Any] | None = None
    owners: dict[tuple[str, str], str] = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)


_state = _State()


def reset() -> None:
    """Forget loaded plugins and everything they registered (tests call this between runs)."""
    global _state
    _state = _State()


def invalidate_registries() -> None:
    """Recompute sources, formats and plugin commands on next use (after registering a plugin
    by hand)."""
    _state.sources = None
    _state.formats = None
    _state.channels = None
    _state.template_packs = None
    _state.commands = None
    _state.csv_presets = None


def warn(message: str) -> None:
    sys.stderr.write(f"Warning: {message}\n")


# -- discovery cache ----------------------------------------------------------------------
def _cache_file() -> Path:
    return Path(cache_file())


def _write_cache(entry_points: list[dict[str, str]], selection: dict[str, Any]) -> None:
    """Record what the current selection of plugins registers (:func:`cached_selection`),
    beside what other selections recorded for the same installed entry points."""
    old = read_cache()
    selections: dict[str, Any] = {}
    if old is not None and old.get("entry_points") == entry_points:
        selections = dict(old.get("selections") or {})
    selections[selection_key(entry_points)] = selection
    data = {
        "version": CACHE_VERSION,
        "executable": sys.executable,
        "fingerprint": fingerprint(),
        "entry_points": entry_points,
        "selections": selections,
    }
    try:
        path = _cache_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home only costs speed


def _scan_entry_points() -> list[dict[str, str]]:
    from importlib.metadata import entry_points

    found = []
    seen: set[tuple[str, str]] = set()
    for ep in entry_points(group=GROUP):
        dist = ep.dist
        dist_name = dist.metadata["Name"] if dist is not None else "?"
        key = (ep.name, ep.value)
        if key in seen:
            continue
        seen.add(key)
        found.append(
            {
                "name": ep.name,
                "value": ep.value,
                "dist": dist_name,
                "version": dist.version if dist is not None else "?",
            }
        )
    return found


def discovered() -> tuple[list[dict[str, str]], dict[str, Any] | None]:
    """Entry points (from the cache when valid) and, if cached, what the current selection of
    them registers (:func:`~collectctl.plugins.discovery_cache.cached_selection`)."""
    cache = read_cache()
    if cache is not None:
        return cache["entry_points"], cached_selection(cache)
    return _scan_entry_points(), None


def cached_commands() -> dict[str, str]:
    """``{command name: one-line help}`` of every plugin command, for ``--help`` (loads on a
    miss); the caller leaves out names its own commands take."""
    entry = cached_selection(read_cache())
    if entry is not None:
        return dict(entry["commands"])
    get_plugin_manager()
    entry = cached_selection(read_cache())
    return dict(entry["commands"]) if entry is not None else dict(_plugin_command_help())


# -- loading ------------------------------------------------------------------------------
def get_plugin_manager() -> pluggy.PluginManager:
    """The process's plugin manager, loading plugins on first call."""
    if _state.pm is not None:
        return _state.pm
    import pluggy

    from collectctl.plugins import hookspecs

    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    strict = bool(os.environ.get("COLLECTCTL_STRICT_PLUGINS"))
    entry_points, cached = discovered()
    infos: list[PluginInfo] = []
    for ep in selected(entry_points):
        builtin = is_builtin(ep)
        info = PluginInfo(ep["name"], ep["value"], ep["dist"], ep["version"], builtin)
        infos.append(info)
        try:
            module_name, _, attr = ep["value"].partition(":")
            obj: Any = importlib.import_module(module_name)
            for part in filter(None, attr.split(".")):
                obj = getattr(obj, part)
            if pm.is_registered(obj):
                continue
            pm.register(obj, name=ep["name"])
        except Exception as exc:
            if strict:
                raise
            info.error = f"{type(exc).__name__}: {exc}"
            warn(
                f"plugin {ep['name']!r} from {ep['dist']} {ep['version']} failed to load "
                f"({info.error}); the rest of collectctl works without it. To remove it: "
                f"pip uninstall {ep['dist']}"
            )
            continue
        try:
            pm.check_pending()
        except pluggy.PluginValidationError as exc:
            if strict:
                raise
            info.error = f"PluginValidationError: {exc}"
            warn(
                f"plugin {ep['name']!r} from {ep['dist']} implements an unknown hook: {exc}; "
                "it was not loaded"
            )
            pm.unregister(name=ep["name"])
    if os.environ.get("COLLECTCTL_TRACE_PLUGINS"):
        pm.trace.root.setwriter(lambda text: sys.stderr.write(text))
        pm.enable_tracing()
    _state.pm = pm
    _state.infos = infos
    if cached is None:
        builtin_names = {info.name for info in infos if info.builtin}
        _write_cache(
            entry_points,
            {
                "commands": _plugin_command_help(),
                "formats": any(
                    impl.plugin_name not in builtin_names
                    for impl in pm.hook.register_formats.get_hookimpls()
                ),
                "errors": any(info.error for info in infos),
            },
        )
    return pm


def plugin_infos() -> list[PluginInfo]:
    """Every discovered plugin with its hooks (loads plugins)."""
    pm = get_plugin_manager()
    for info in _state.infos:
        plugin = pm.get_plugin(info.name)
        if plugin is not None:
            info.hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
    return _state.infos


def call_each(hook_name: str, args_for: Callable[[str], Mapping[str, Any]]) -> None:
    """Call every implementation of ``hook_name`` through pluggy (so ``COLLECTCTL_TRACE_PLUGINS``
    traces it), one plugin at a time in registration order, with the arguments
    ``args_for(plugin name)``: each plugin gets its own ``register``, a failing plugin is
    reported alone (strict mode re-raises) and the others still run."""
    pm = get_plugin_manager()
    impls = getattr(pm.hook, hook_name).get_hookimpls()
    for impl in impls:  # registration order: the first one wins
        others = [other.plugin for other in impls if other is not impl]
        caller = pm.subset_hook_caller(hook_name, remove_plugins=others)
        try:
            caller(**args_for(impl.plugin_name))
        except Exception as exc:
            if os.environ.get("COLLECTCTL_STRICT_PLUGINS"):
                raise
            warn(f"plugin {impl.plugin_name!r} failed in {hook_name}: {type(exc).__name__}: {exc}")


def _collect(hook_name: str, key: Callable[[Any], str]) -> dict[str, Any]:
    found: dict[str, Any] = {}

    def make_register(plugin: str) -> Callable[[Any], None]:
        def register(item: Any) -> None:
            name = key(item)
            if name in found:
                owner = _state.owners[(hook_name, name)]
                msg = (
                    f"{hook_name}: {name!r} from plugin {plugin!r} conflicts with the one "
                    f"from {owner!r}; using {owner!r}'s"
                )
                if msg not in _state.conflicts:
                    _state.conflicts.append(msg)
                    warn(msg)
                return
            found[name] = item
            _state.owners[(hook_name, name)] = plugin

        return register

    call_each(hook_name, lambda plugin: {"register": make_register(plugin)})
    return found


def sources() -> dict[str, Source]:
    """Registered sources by name."""
    if _state.sources is None:
        _state.sources = _collect("register_sources", lambda s: s.name)
    return _state.sources


def formats() -> dict[str, Format]:
    """Registered output formats by name."""
    if _state.formats is None:
        _state.formats = _collect("register_formats", lambda f: f.name)
    return _state.formats


def format_named(name: str) -> Format | None:
    """The output format ``name`` (None if no plugin registers it), exactly as
    :func:`formats` has it. A built-in format comes without loading any plugin when the
    discovery cache shows that loading them would change nothing
    (:func:`~collectctl.plugins.discovery_cache.builtin_formats_suffice`) and none is loaded
    yet in this process."""
    if _state.pm is None and name in BUILTIN_FORMATS and builtin_formats_suffice():
        from collectctl.plugins.builtin.renderers import builtin_formats

        return next((f for f in builtin_formats() if f.name == name), None)
    return formats().get(name)


def channels() -> dict[str, Channel]:
    """Registered letter channels by name (``stdout``, ``file``, ``email`` and plugins')."""
    if _state.channels is None:
        _state.channels = _collect("register_channels", lambda c: c.name)
    return _state.channels


def template_packs() -> dict[str, TemplatePack]:
    """Registered letter template packs by name, in registration order."""
    if _state.template_packs is None:
        _state.template_packs = _collect("register_letter_templates", lambda p: p.name)
    return _state.template_packs


def _preset_name(item: Any) -> str:
    if isinstance(item, Mapping):
        return str(item.get("name") or "")
    return Path(item).stem


def csv_presets() -> dict[str, Any]:
    """Registered CSV presets by name: each a preset file's ``Path`` or a parsed mapping."""
    if _state.csv_presets is None:
        _state.csv_presets = _collect("register_csv_presets", _preset_name)
    return _state.csv_presets


def owner(hook_name: str, name: str) -> str | None:
    """Which plugin registered ``name`` through ``hook_name``."""
    return _state.owners.get((hook_name, name))


def _all_commands() -> dict[str, tuple[click.Command, str]]:
    """``{name: (command, plugin)}`` of every plugin command (the first plugin wins a name)."""
    if _state.commands is None:
        import click

        found: dict[str, tuple[click.Command, str]] = {}

        def make_cli(plugin: str) -> click.Group:
            class PluginCommands(click.Group):
                """The ``cli`` a plugin's ``register_commands`` adds its commands to."""

                def add_command(self, cmd: click.Command, name: str | None = None) -> None:
                    name = name or cmd.name or ""
                    if name in found:
                        warn(
                            f"plugin {plugin!r} tried to add command {name!r}, which already "
                            "exists; ignored"
                        )
                        return
                    found[name] = (cmd, plugin)

            return PluginCommands()

        call_each("register_commands", lambda plugin: {"cli": make_cli(plugin)})
        _state.commands = found
    return _state.commands


def plugin_commands(reserved: Collection[str]) -> dict[str, click.Command]:
    """Commands plugins add, by name, leaving out (with a warning, once) any name in
    ``reserved`` (the core's own commands): a plugin never replaces a core command."""
    out: dict[str, click.Command] = {}
    for name, (command, plugin) in _all_commands().items():
        if name in reserved:
            msg = f"plugin {plugin!r} tried to add command {name!r}, which already exists; ignored"
            if msg not in _state.conflicts:
                _state.conflicts.append(msg)
                warn(msg)
            continue
        out[name] = command
    return out


def _plugin_command_help() -> dict[str, str]:
    return {name: cmd.get_short_help_str(limit=70) for name, (cmd, _p) in _all_commands().items()}
