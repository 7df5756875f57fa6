"""Global options anywhere on the command line, as in doctl and kubectl.

`routerctl --env staging plan` and `routerctl plan --env staging` mean the same: options given
before the command are moved to just after the command's name, and `--debug` given after it
is moved up to routerctl itself. Because the moved options land *before* the command's own
arguments, and a later value of an option replaces an earlier one, a flag written after the
command wins over the same flag written before it (`routerctl --env a plan --env b` plans `b`),
which is how kubectl's persistent flags behave too.

Pure list work, no click: the CLI passes in which options each command accepts.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from routerctl.errors import UsageError

VALUE_OPTIONS = ("--api-url", "--token-file", "--timeout", "--env", "--config")
# Accepted by every command: one that draws nothing in colour has nothing to turn off, and an
# alias `routerctl --no-color` must not break it.
LENIENT_FLAGS = ("--no-color",)
GROUP_FLAGS = ("--debug",)  # belongs to routerctl itself; accepted after the command too
GLOBAL_OPTIONS = (*GROUP_FLAGS, *LENIENT_FLAGS, *VALUE_OPTIONS)


def hoist(args: list[str], accepts: Callable[[str], Collection[str] | None]) -> list[str]:
    """`args` as click expects them: routerctl's own options, the command name, the global
    options given before it, then the command's own arguments. `accepts(name)` is the set of
    option names the command takes, or None for a name that is not a command (left to click
    to report). Raises UsageError for a value option the command does not take."""
    leading: list[str] = []
    moved: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        name, has_value, _ = arg.partition("=")
        if arg == "--" or not arg.startswith("-"):
            break
        if name in VALUE_OPTIONS:
            if has_value:
                moved.append(arg)
                index += 1
                continue
            if index + 1 >= len(args):
                raise UsageError(f"option {name} requires a value")
            moved += [arg, args[index + 1]]
            index += 2
            continue
        if arg in LENIENT_FLAGS:
            moved.append(arg)
        else:
            leading.append(arg)  # --debug, --version, --help: routerctl's own
        index += 1
    if index >= len(args) or args[index] == "--":
        return leading + moved + args[index:]
    command, rest = args[index], args[index + 1 :]
    accepted = accepts(command)
    if accepted is None:
        return leading + moved + args[index:]
    kept: list[str] = []
    position = 0
    while position < len(moved):
        name = moved[position].partition("=")[0]
        width = 1 if "=" in moved[position] or name in LENIENT_FLAGS else 2
        if name in accepted:
            kept += moved[position : position + width]
        elif name not in LENIENT_FLAGS:
            raise UsageError(f"{name} does not apply to `routerctl {command}`")
        position += width
    own: list[str] = []
    for position, arg in enumerate(rest):
        if arg == "--":
            own += rest[position:]
            break
        if arg in GROUP_FLAGS:
            leading.append(arg)
        elif arg in LENIENT_FLAGS and arg not in accepted:
            continue
        else:
            own.append(arg)
    return [*leading, command, *kept, *own]
