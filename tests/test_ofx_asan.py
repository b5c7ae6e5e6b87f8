"""The OFX plugin and the test host under AddressSanitizer + UBSan (leaks included)."""

import subprocess

import numpy as np
import pytest

from tests.serve_support import build_bridge, echo_render, run_host, running_server, shm_names
from vs_vhdr.serve.jobs import Limits, RenderJob

RAW = np.random.default_rng(8).random((5, 6, 8), dtype=np.float32)
ASAN = {"ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0", "UBSAN_OPTIONS": "print_stacktrace=1"}


@pytest.fixture(scope="module")
def bridge():
    plugin, host = build_bridge(sanitize=True)
    for binary in (plugin, host):  # really instrumented, so a clean run means something
        dynamic = subprocess.run(["readelf", "-d", str(binary)], capture_output=True, text=True)
        assert "libasan" in dynamic.stdout and "libubsan" in dynamic.stdout
    return plugin, host


def _clean(run) -> None:
    text = run.stdout + run.stderr
    assert "AddressSanitizer" not in text and "LeakSanitizer" not in text, text
    assert "runtime error" not in text, text
    assert run.returncode == 0, text


def test_render_paths_are_clean_under_asan(bridge, tmp_path):
    plugin, host = bridge
    before = shm_names()
    with running_server(tmp_path, limits=Limits(max_window=3)) as server:
        params = {"socket": server.options.socket_path, "maskFile": "m.npy", "window": 3}
        for time, extra in [(0, ()), (4, ("--row-sign", "-1", "--pad", "12"))]:
            run, out = run_host(
                host, plugin, RAW, tmp_path, time=time, params=params, extra=extra, env=ASAN
            )
            _clean(run)
            start = min(max(time - 1, 0), 2)
            job = RenderJob(RAW[start : start + 3], time - start, "", "", 3, None, None)
            np.testing.assert_array_equal(out, echo_render(job))
        failures = [
            (params | {"window": 4}, ("--expect-error", "TOO_LARGE")),
            (params, ("--expect-error", "no Source image", "--omit-frame", "2")),
            (params | {"maskFile": ""}, ("--expect-error", "exactly one of")),
        ]
        for change, extra in failures:
            run, _ = run_host(
                host, plugin, RAW, tmp_path, time=2, params=change, extra=extra, env=ASAN
            )
            _clean(run)
    assert shm_names() - before == set()


def test_start_failures_are_clean_under_asan(bridge, tmp_path):
    plugin, host = bridge
    params = {"socket": tmp_path / "a" / "serve.sock", "maskFile": "m.npy"}
    for command, text in [("/bin/false", "exited with status 1"), ("/no/such", "cannot start")]:
        run, _ = run_host(
            host,
            plugin,
            RAW,
            tmp_path,
            time=0,
            params=params | {"serverCommand": command},
            extra=("--expect-error", text),
            env=ASAN,
        )
        _clean(run)
    run, _ = run_host(
        host,
        plugin,
        RAW,
        tmp_path,
        time=0,
        params=params | {"autoStart": 0},
        extra=("--expect-error", "no vhdr server is running"),
        env=ASAN,
    )
    _clean(run)
