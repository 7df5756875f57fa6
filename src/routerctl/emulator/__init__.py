"""A local stand-in for the DigitalOcean Inference Router API, for offline runs, tests and
benchmarks. It serves the management API (`/v2/gen-ai/models/routers`, presets, models),
the inference route (`POST /v1/chat/completions` with `model: "router:<name>"`) and a
control API (`/_emulator/...`), all on one loopback port, using only the standard library.
It imports nothing from routerctl outside this package.

    from routerctl.emulator import Emulator, FaultPlan

    with Emulator() as emu:            # port 0: a free port
        emu.put_router({...})          # or POST {emu.url}/v2/gen-ai/models/routers
        emu.set_faults(FaultPlan(script=[{"match": "POST *", "action": "drop_after_commit"}]))

What it invents, and says so. Each behaviour the API reference (shared/reference/
do-router-api.md) leaves open is a named option: a constructor kwarg, a key of
`configure()` and `PUT /_emulator/config`, and a `routerctl emulator` flag. Defaults take the
reading that is hardest on a client under test: no server guarantee the reference does not
state, and the client's input held to the strictest rule it does state.

    option (kwarg, config key)  flag                        reference    default
    unique_names                --unique-names              §8.8         False
    regions_check               --no-regions-check          §1.1, §8.12  True
    put_semantics               --put full|merge|replace    §1.4, §8.3   "full"
    default_prefer              --default-prefer PREFER     §2.4, §8.5   None
    list_lag_seconds            --list-lag SECONDS          -            0

- unique_names=False: a second router of a taken name is created. Nothing promises a 409, so
  a client must not lean on one to avoid duplicates. True: 409 `conflict` on create and on a
  rename into a taken name.
- regions_check=True: 400 unless `regions` is omitted or `["all"]` (the reference's "must").
  False: any list of strings is accepted and ignored.
- put_semantics="full": 400 unless a PUT carries name, description, policies and
  fallback_models; a client that sends the whole router is right under every reading.
  "merge": omitted or null top-level fields keep their values (godo's "omit if unchanged").
  "replace": omitted fields reset, validated as a create (the API-wide PUT rule).
- default_prefer=None: policies are echoed as sent; no `selection_policy` is invented, so a
  client must read one that is missing. "none" (or another value): filled in on output.
- list_lag_seconds=0: lists show a router as soon as it exists. A test mode, not a reading
  (nothing says lists lag, or that they do not): with N, a router shows in lists only N
  seconds after its create, while GET by uuid sees it at once.

Documented limits, off unless asked for (so test suites are not throttled): the hourly quota
(`rate_limit_per_hour` / `--hourly-limit`, DO: 5,000) reported in `ratelimit-*` headers, 429
without `retry-after` when spent; the per-minute burst (`rate_limit_per_minute` /
`--rate-limit`, DO: 250), 429 with `retry-after`. Both rolling, per token, on an injectable
`clock` (see ratelimit.py). Fixed choices, not options, are listed in state.py.

Good citizen: start-up problems (busy port, a `--host` that is not an address of this machine,
a state file that is corrupt, unreadable or not a regular file) raise `EmulatorError` with one
line; the control API answers only requests whose Host is loopback and that carry no foreign
Origin (403 otherwise), since it needs no token; the state file is shared safely between
processes (`fcntl.flock` on `<file>.lock`, re-read when another process changed it).
`request_log()` (and `GET /_emulator/requests`) keeps the last exchanges, without request
headers, for contract tests.

Modules: server (HTTP and the Emulator class), options (Behaviour and setting checks), state
(validation, store, state file), netguard (where it listens, who may drive it), stats (counters
and the request log), faults (FaultPlan and the injector), ratelimit, routing (the offline task
matcher, an approximation of the real router), catalog (packaged presets and models).
"""

from routerctl.emulator.faults import FaultPlan, FaultStep
from routerctl.emulator.options import Behaviour
from routerctl.emulator.server import Emulator
from routerctl.emulator.state import EmulatorApiError, EmulatorError, StateFileError

__all__ = [
    "Behaviour",
    "Emulator",
    "EmulatorApiError",
    "EmulatorError",
    "FaultPlan",
    "FaultStep",
    "StateFileError",
]
