"""`make demo`: start the local emulator, then validate -> plan -> apply -> plan on routers/.

Runs the installed `routerctl` exactly as a user would, against `routerctl emulator` on a free
loopback port with a throwaway state file, and fails loudly if the last plan is not empty.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent / "routerctl"
DEMO_TOKEN = "demo-token-not-a-secret"


def step(title: str, args: list[str], env: dict[str, str], expect: tuple[int, ...] = (0,)) -> None:
    print(f"\n$ routerctl {' '.join(args)}    # {title}", flush=True)
    code = subprocess.call([str(BIN), *args], cwd=ROOT, env=env)
    if code not in expect:
        print(f"demo: `routerctl {' '.join(args)}` exited {code}, expected {expect}", flush=True)
        raise SystemExit(1)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="routerctl-demo-") as tmp:
        state = Path(tmp) / "state.json"
        server = subprocess.Popen(
            [str(BIN), "emulator", "--port", "0", "--state", str(state)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            assert server.stdout is not None
            url = server.stdout.readline().strip()
            if not url.startswith("http://"):
                print("demo: the emulator did not start", flush=True)
                return 1
            print(f"emulator running at {url} (state: {state})", flush=True)
            env = {
                **os.environ,
                "DIGITALOCEAN_API_URL": url,
                "DIGITALOCEAN_TOKEN": DEMO_TOKEN,
                "ROUTERCTL_CACHE_DIR": tmp,
            }
            env.pop("ROUTERCTL_ENV", None)
            step("schema and rules, offline", ["validate"], env)
            step("what would change (exit 2 = changes)", ["plan", "--detailed-exitcode"], env, (2,))
            step("make the calls", ["apply", "--auto-approve"], env)
            step("converged: no changes (exit 0)", ["plan", "--detailed-exitcode"], env)
        finally:
            server.terminate()
            server.wait(timeout=10)
    print("\ndemo: validate -> plan -> apply -> plan (no changes) succeeded.", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
