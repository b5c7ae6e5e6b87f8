"""``vhdr plugins``: installed plugins, their versions and hooks, what they registered, problems.

Exits 0; with ``--check`` it exits 1 when any plugin has a problem (for CI of a studio plugin).
"""

import argparse
import dataclasses
import json
from typing import Any

from vs_vhdr.plugins import Host, get_host


def add_parser(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Register ``vhdr plugins``."""
    parser = subparsers.add_parser(
        "plugins",
        help="installed plugins, their hooks and what they registered (docs/plugins.md)",
        description="List vhdr plugins (built-in and the 'vhdr' entry-point group), their "
        "versions, the hooks each implements, the models, calibrations and presets they "
        "registered, and every problem a plugin caused. VHDR_DISABLE_PLUGINS=a,b skips plugins.",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument("--check", action="store_true", help="exit 1 if any plugin has a problem")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the listing; 1 with ``--check`` when there are problems."""
    host = get_host()
    listing = collect(host)
    if args.json:
        print(json.dumps(listing, indent=2, default=str))
    else:
        print(format_text(listing))
    return 1 if args.check and listing["problems"] else 0


def collect(host: Host) -> dict[str, Any]:
    """Everything ``vhdr plugins`` shows, as JSON-ready data (registries filled first)."""
    registry = host.model_registry
    aliases = registry.aliases()
    models = [
        {
            "name": name,
            "plugin": host.model_plugin(name),
            "alias_of": aliases.get(name),
            "description": "" if name in aliases else registry.entry(name).description,
        }
        for name in registry.names(include_aliases=True)
    ]
    calibrations = [
        {
            "name": e.name,
            "camera": e.camera.to_dict(),
            "plugin": e.plugin,
            "file": str(e.path) if e.path else None,
        }
        for e in host.calibration_registry.entries()
    ]
    presets = [
        {"kind": p.kind, "name": p.name, "plugin": p.plugin, "description": p.description}
        for p in host.presets()
    ]
    return {
        "plugins": [dataclasses.asdict(info) for info in host.plugins()],
        "models": models,
        "calibrations": calibrations,
        "presets": presets,
        "problems": [dataclasses.asdict(p) for p in host.problems()],
    }


def format_text(listing: dict[str, Any]) -> str:
    """The human-readable form of :func:`collect`'s result."""
    lines = ["plugins:"]
    for p in listing["plugins"]:
        lines.append(
            f"  {p['name']} {p['version']} ({p['distribution']}, {p['origin']}) [{p['status']}]"
        )
        lines.extend(f"      {hook}" for hook in p["hooks"])
    lines.append("models:")
    for m in listing["models"]:
        target = f" -> {m['alias_of']}" if m["alias_of"] else ""
        lines.append(f"  {m['name']}{target} [{m['plugin']}] {m['description']}".rstrip())
    lines.append("calibrations:")
    for c in listing["calibrations"]:
        camera = " ".join(c["camera"].get(k, "") for k in ("make", "model")).strip()
        serial = f" #{c['camera']['serial']}" if "serial" in c["camera"] else ""
        lines.append(f"  {c['name']}: {camera}{serial} [{c['plugin']}] {c['file'] or ''}".rstrip())
    if not listing["calibrations"]:
        lines.append("  (none)")
    lines.append("presets:")
    for p in listing["presets"]:
        lines.append(f"  {p['kind']}/{p['name']} [{p['plugin']}]")
    lines.append(f"problems: {len(listing['problems']) or 'none'}")
    for problem in listing["problems"]:
        lines.append(f"  plugin {problem['plugin']!r} ({problem['stage']}): {problem['message']}")
    return "\n".join(lines)
