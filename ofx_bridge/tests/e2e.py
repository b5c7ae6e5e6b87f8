"""End-to-end test of the OFX bridge: the C test host drives vhdr.ofx, which sends windows to a
real ``vhdr serve`` process; each rendered frame must equal the engine's output for the same
window (bit for bit on CPU). Then SIGTERM must stop the server cleanly with no shared-memory
segment left. Prints ``N passed, N failed``; exit status 1 if any failed.

    python ofx_bridge/tests/e2e.py --plugin PATH/vhdr.ofx --host PATH/ofx_test_host
"""

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from vs_vhdr.engine import EngineOptions, Reconstructor  # noqa: E402
from vs_vhdr.nets import C3D, save_weights  # noqa: E402
from vs_vhdr.serve.client import FrameClient  # noqa: E402

FRAMES, HEIGHT, WIDTH, WINDOW = 6, 12, 16, 4


class Tally:
    def __init__(self) -> None:
        self.passed = self.failed = 0

    def check(self, ok: bool, what: str) -> None:
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {what}", flush=True)


def shm_segments() -> set[str]:
    return {p.name for p in Path("/dev/shm").glob(f"vhdr-{os.geteuid()}-*")}


def wait_for_server(sock: Path, server: subprocess.Popen, seconds: float = 120) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with FrameClient(sock, timeout=5) as client:
                client.ping()
            return True
        except Exception:
            time.sleep(0.1)
    return False


def make_inputs(tmp: Path) -> tuple[np.ndarray, np.ndarray, Path, Path]:
    rng = np.random.default_rng(1)
    raw = rng.random((FRAMES, HEIGHT, WIDTH), dtype=np.float32)
    mask = (0.05 + 0.95 * rng.random((HEIGHT, WIDTH))).astype(np.float32)
    mask_path = tmp / "mask.npy"
    np.save(mask_path, mask)
    torch.manual_seed(0)
    weights = tmp / "c3d.safetensors"
    save_weights(C3D(), weights, window=WINDOW)
    raw.tofile(tmp / "raw.f32")
    return raw, mask, mask_path, weights


def expected_frame(raw: np.ndarray, mask: np.ndarray, weights: Path, t: int) -> np.ndarray:
    """The engine's output for the window the plugin sends at time t (centred, clamped)."""
    start = min(max(t - WINDOW // 2, 0), FRAMES - WINDOW)
    engine = Reconstructor(EngineOptions(model=str(weights), window=WINDOW, device="cpu"), mask)
    return engine.reconstruct_window(raw[start : start + WINDOW], mask)[t - start]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plugin", required=True)
    parser.add_argument("--host", required=True)
    args = parser.parse_args()
    tally = Tally()
    before = shm_segments()
    with tempfile.TemporaryDirectory(prefix="vhdr-ofx-e2e-") as name:
        tmp = Path(name)
        raw, mask, mask_path, weights = make_inputs(tmp)
        sock = tmp / "run" / "serve.sock"
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        log = open(tmp / "serve.log", "wb")
        server = subprocess.Popen(
            [sys.executable, "-m", "vs_vhdr", "serve", "--socket", str(sock), "--device", "cpu"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            tally.check(wait_for_server(sock, server), "vhdr serve did not come up")
            tally.check(sock.stat().st_mode & 0o777 == 0o600, "socket mode is not 0600")
            for t in (0, 2, FRAMES - 1):
                out = tmp / f"out{t}.f32"
                params = {"socket": sock, "maskFile": mask_path, "model": weights}
                params |= {"window": WINDOW, "autoStart": 0}
                command = [args.host, args.plugin, "--input", str(tmp / "raw.f32")]
                command += ["--frames", str(FRAMES), "--height", str(HEIGHT), "--width", str(WIDTH)]
                command += ["--time", str(t), "--output", str(out)]
                for key, value in params.items():
                    command += ["--param", f"{key}={value}"]
                run = subprocess.run(command, capture_output=True, text=True, timeout=300)
                tally.check(run.returncode == 0, f"test host at t={t}: {run.stdout}{run.stderr}")
                if not out.exists():
                    continue
                got = np.fromfile(out, dtype=np.float32).reshape(HEIGHT, WIDTH, 3)
                want = expected_frame(raw, mask, weights, t)
                tally.check(
                    np.array_equal(got, want),
                    f"t={t}: plugin output differs from the engine's by "
                    f"{float(np.abs(got - want).max())}",
                )
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                code = server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
                code = -9
            log.close()
        tally.check(code == 0, f"vhdr serve exited with {code} after SIGTERM")
        tally.check(not sock.exists(), "the socket file was left behind")
        if tally.failed:
            print((tmp / "serve.log").read_text(errors="replace"))
    leaked = shm_segments() - before
    tally.check(not leaked, f"leaked shared memory: {sorted(leaked)}")
    print(f"{tally.passed} passed, {tally.failed} failed")
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
