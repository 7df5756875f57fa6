"""A local stand-in for the DigitalOcean Inference Router API, for offline runs, tests and
benchmarks. It serves the management API (`/v2/gen-ai/models/routers`, presets, models),
the inference route (`POST /v1/chat/completions` with `model: "router:<name>"`) and a
control API (`/_emulator/...`), all on one loopback port, using only the standard library.

    from routerctl.emulator import Emulator, FaultPlan

    with Emulator() as emu:            # port 0: a free port
        emu.put_router({...})          # or POST {emu.url}/v2/gen-ai/models/routers
        emu.set_faults(FaultPlan(script=[{"match": "POST *", "action": "drop_after_commit"}]))

Modules: server (HTTP and the Emulator class), state (validation, store, state file),
faults (FaultPlan and the injector), ratelimit, routing (the offline task matcher, an
approximation of the real router), catalog (packaged presets and models).
"""

from routerctl.emulator.faults import FaultPlan, FaultStep
from routerctl.emulator.server import Emulator
from routerctl.emulator.state import Behaviour, EmulatorApiError, EmulatorError, StateFileError

__all__ = [
    "Behaviour",
    "Emulator",
    "EmulatorApiError",
    "EmulatorError",
    "FaultPlan",
    "FaultStep",
    "StateFileError",
]
