"""The plugin host: built-ins as plugins, plugins given in code, and every way a plugin can fail."""

import argparse
import inspect
import types
from pathlib import Path

import numpy as np
import pytest

from vs_vhdr.calibration.camera import CameraId
from vs_vhdr.calibration.schema import MaskCalibration, save_calibration
from vs_vhdr.cli.main import main
from vs_vhdr.errors import InvalidArgumentError, UnknownNameError
from vs_vhdr.plugins import Host, hook_names, hookimpl, hookspecs

ARRI = CameraId(make="ARRI", model="Alexa 35", serial="A1")


def _calibration(name: str, camera: CameraId = ARRI, value: float = 0.5) -> MaskCalibration:
    return MaskCalibration(name=name, camera=camera, mask=np.full((4, 6), value, np.float32))


def _plugin(**hooks: object) -> types.ModuleType:
    """A plugin module whose attributes are the given hook implementations."""
    module = types.ModuleType("test_plugin")
    for name, function in hooks.items():
        setattr(module, name, function)
    return module


def _host(*plugins: tuple[str, object]) -> Host:
    return Host(entry_points=False, disabled=set(), plugins=plugins)


def test_builtins_register_through_the_hooks() -> None:
    host = _host()
    assert [p.name for p in host.plugins()] == ["builtin"]
    assert {"c3d", "dc3d", "c3ded", "c3d-m", "dc3d-m", "c3ded-m", "pmunet"} <= set(host.models())
    assert host.model_plugin("default") == "builtin"
    assert host.create_model("default").spec.name == "pmunet"
    assert {"none", "default"} <= {p.name for p in host.presets("noise")}
    assert host.problems() == []


def test_plugin_model_alias_calibration_and_preset() -> None:
    @hookimpl
    def vhdr_register_models(registry):
        registry.alias("studio-fast", "c3d")

    @hookimpl
    def vhdr_register_calibrations(registry):
        registry.add(_calibration("stage-1"))

    @hookimpl
    def vhdr_register_presets(registry):
        registry.add("sensor", "alexa35", {"bits": 14})

    plugin = _plugin(
        vhdr_register_models=vhdr_register_models,
        vhdr_register_calibrations=vhdr_register_calibrations,
        vhdr_register_presets=vhdr_register_presets,
    )
    host = _host(("studio", plugin))
    assert host.create_model("studio-fast").spec.name == "c3d"
    assert host.model_plugin("studio-fast") == "studio"
    assert host.list_calibrations() == ["stage-1"]
    assert host.calibration("STAGE-1").name == "stage-1"  # names ignore case
    assert host.calibration(CameraId(make="arri", model="alexa 35")).name == "stage-1"
    assert host.preset("sensor", "ALEXA35").value == {"bits": 14}
    assert host.problems() == []


def test_calibration_files_by_registry_and_by_path(tmp_path: Path) -> None:
    path = save_calibration(_calibration("from-file"), tmp_path / "from-file.json")

    @hookimpl
    def vhdr_register_calibrations(registry):
        registry.add_folder(tmp_path)

    host = _host(("studio", _plugin(vhdr_register_calibrations=vhdr_register_calibrations)))
    assert host.calibration("from-file").source == path.resolve()
    assert host.calibration(path).mask_size == (4, 6)  # a .json path works without registering
    np.testing.assert_array_equal(host.calibration(str(path)).mask, 0.5)


def test_unknown_camera_lists_what_is_registered() -> None:
    @hookimpl
    def vhdr_register_calibrations(registry):
        registry.add(_calibration("stage-1"))

    host = _host(("studio", _plugin(vhdr_register_calibrations=vhdr_register_calibrations)))
    with pytest.raises(UnknownNameError, match=r"'nope'.*stage-1 \(ARRI Alexa 35 #A1\)"):
        host.calibration("nope")
    with pytest.raises(UnknownNameError, match="RED Komodo"):
        host.calibration(CameraId(make="RED", model="Komodo"))
    with pytest.raises(InvalidArgumentError, match="expected a calibration name"):
        host.calibration(42)  # type: ignore[arg-type]


def test_ambiguous_identity_asks_for_a_name() -> None:
    @hookimpl
    def vhdr_register_calibrations(registry):
        registry.add(_calibration("a", CameraId(make="ARRI", model="Alexa 35", serial="1")))
        registry.add(_calibration("b", CameraId(make="ARRI", model="Alexa 35", serial="2")))

    host = _host(("studio", _plugin(vhdr_register_calibrations=vhdr_register_calibrations)))
    assert host.calibration(CameraId(make="ARRI", model="Alexa 35", serial="2")).name == "b"
    with pytest.raises(InvalidArgumentError, match="matches several calibrations: a, b"):
        host.calibration(CameraId(make="ARRI", model="Alexa 35"))


def test_a_plugin_resolver_is_asked_first_and_a_crash_is_reported() -> None:
    @hookimpl
    def vhdr_resolve_calibration(camera):
        return _calibration("db", value=0.25) if camera.name == "from-db" else None

    @hookimpl
    def crashing(camera):
        raise RuntimeError("database down")

    @hookimpl
    def wrong_type(camera):
        return "not a calibration"

    host = _host(
        ("db", _plugin(vhdr_resolve_calibration=vhdr_resolve_calibration)),
        ("flaky", _plugin(vhdr_resolve_calibration=crashing)),
        ("sloppy", _plugin(vhdr_resolve_calibration=wrong_type)),
    )
    assert float(host.calibration("from-db").mask[0, 0]) == 0.25
    stages = {(p.plugin, p.stage) for p in host.problems()}
    assert stages == {("flaky", "vhdr_resolve_calibration"), ("sloppy", "vhdr_resolve_calibration")}
    assert "database down" in str(host.problems()[-2:])


def test_failing_and_duplicate_registrations_are_reported_not_fatal() -> None:
    @hookimpl
    def raises(registry):
        registry.alias("half-done", "c3d")
        raise RuntimeError("boom")

    @hookimpl
    def duplicate_model(registry):
        registry.register("c3d", lambda: None)

    @hookimpl
    def good_calibration(registry):
        registry.add(_calibration("shared"))

    host = _host(
        ("boom", _plugin(vhdr_register_models=raises)),
        ("dup", _plugin(vhdr_register_models=duplicate_model)),
        ("first", _plugin(vhdr_register_calibrations=good_calibration)),
        ("second", _plugin(vhdr_register_calibrations=good_calibration)),
    )
    assert "half-done" not in host.models(include_aliases=True)  # dropped with the failure
    assert host.create_model("c3d").spec.name == "c3d"  # the built-in kept its name
    assert host.calibration("shared").name == "shared"
    messages = [str(p) for p in host.problems()]
    assert any("'boom'" in m and "RuntimeError: boom" in m for m in messages)
    assert any("'dup'" in m and "'c3d' is already registered" in m for m in messages)
    assert any("'second'" in m and "'shared' is already registered" in m for m in messages)


def test_wrong_signature_unknown_hook_and_unmarked_function_are_reported() -> None:
    @hookimpl
    def vhdr_register_models(registry, colour):
        """Asks for an argument the hook does not have."""

    @hookimpl
    def vhdr_register_modles(registry):
        """A typo in the hook name."""

    def vhdr_register_presets(registry):
        """Forgot @hookimpl."""

    host = _host(
        ("signature", _plugin(vhdr_register_models=vhdr_register_models)),
        ("typo", _plugin(vhdr_register_modles=vhdr_register_modles)),
        ("unmarked", _plugin(vhdr_register_presets=vhdr_register_presets)),
    )
    status = {p.name: p.status for p in host.plugins()}
    assert status == {
        "builtin": "active",
        "signature": "failed",
        "typo": "failed",
        "unmarked": "active",
    }
    problems = {p.plugin: p.message for p in host.problems()}
    assert "colour" in problems["signature"]
    assert "unknown hook vhdr_register_modles" in problems["typo"]
    assert "not marked with pluggy.HookimplMarker('vhdr')" in problems["unmarked"]
    assert "c3d" in host.models()  # the rest keeps working


def test_disabled_plugins_are_not_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    @hookimpl
    def vhdr_register_models(registry):
        registry.alias("studio-fast", "c3d")

    monkeypatch.setenv("VHDR_DISABLE_PLUGINS", " Studio , other")
    host = Host(
        entry_points=False, plugins=[("studio", _plugin(vhdr_register_models=vhdr_register_models))]
    )
    assert {p.name: p.status for p in host.plugins()}["studio"] == "disabled"
    assert "studio-fast" not in host.models(include_aliases=True)


def test_plugin_cli_commands_and_clashes() -> None:
    @hookimpl
    def vhdr_add_cli_commands(subparsers):
        subparsers.add_parser("studio-sync").set_defaults(run=lambda args: 7)

    @hookimpl
    def clash(subparsers):
        subparsers.add_parser("studio-sync")

    host = _host(
        ("studio", _plugin(vhdr_add_cli_commands=vhdr_add_cli_commands)),
        ("clash", _plugin(vhdr_add_cli_commands=clash)),
    )
    parser = argparse.ArgumentParser()
    host.add_cli_commands(parser.add_subparsers())
    assert parser.parse_args(["studio-sync"]).run(None) == 7
    assert [(p.plugin, p.stage) for p in host.problems()] == [("clash", "vhdr_add_cli_commands")]


def test_vhdr_plugins_check_fails_while_a_plugin_has_problems(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    @hookimpl
    def vhdr_register_calibrations(registry):
        raise RuntimeError("share not mounted")

    host = _host(("nas", _plugin(vhdr_register_calibrations=vhdr_register_calibrations)))
    monkeypatch.setattr("vs_vhdr.cli.plugins.get_host", lambda: host)
    assert main(["plugins"]) == 0
    assert main(["plugins", "--check"]) == 1
    out = capsys.readouterr().out
    assert "nas ? (?, registered in code) [active]" in out
    assert "plugin 'nas' (vhdr_register_calibrations): RuntimeError: share not mounted" in out


def test_docs_name_every_hook_with_its_signature() -> None:
    doc = (Path(__file__).resolve().parent.parent / "docs" / "plugins.md").read_text()
    names = hook_names()
    assert len(names) >= 5 and all(name.startswith("vhdr_") for name in names)
    for name in names:
        signature = inspect.signature(getattr(hookspecs, name))
        params = ", ".join(
            f"{p.name}: {_annotation(p.annotation)}" for p in signature.parameters.values()
        )
        written = f"{name}({params}) -> {_annotation(signature.return_annotation)}"
        assert f"### `{written}`" in doc, f"docs/plugins.md lacks a heading for {written}"
        assert getattr(hookspecs, name).__doc__, f"{name} has no docstring"
    assert "first non-None result wins" in doc


def _annotation(value: object) -> str:
    return value if isinstance(value, str) else "None" if value is None else value.__name__  # type: ignore[attr-defined]
