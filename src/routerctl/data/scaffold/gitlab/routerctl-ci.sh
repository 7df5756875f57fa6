#!/usr/bin/env bash
# routerctl in any CI runner (GitLab CI, Jenkins, Buildkite, a cron job): the GitOps flow in
# four steps, with the exit codes a pipeline needs.
#
#   routerctl-ci.sh validate          offline checks and formatting; every pipeline
#   routerctl-ci.sh plan              writes plan.json and plan.md; exit 0 with or without
#                                     changes (plan.exitcode says which: 0 none, 2 changes)
#                                     With ROUTERCTL_BASE set (a merge request's target
#                                     branch), reads only routers changed since it
#   routerctl-ci.sh apply [PLANFILE]  applies the saved, reviewed plan (default plan.json);
#                                     refused, changing nothing, if a router changed since
#   routerctl-ci.sh drift             exit 0 in sync, 2 live routers differ from the files,
#                                     1 error; writes drift.md
#
# Environment: DIGITALOCEAN_TOKEN from the runner's secret store (never echo it; routerctl
# never prints it); optional ROUTERCTL_ENV (an environment of routerctl.yaml, e.g. staging),
# ROUTERCTL_OUT (where plan files go, default .), ROUTERCTL (the routerctl command),
# ROUTERCTL_BASE (plan: the target branch of a pull/merge request, fetched as origin/BASE; leave
# it unset on main, whose plan is applied and must read every router).
set -euo pipefail

routerctl="${ROUTERCTL:-routerctl}"
out="${ROUTERCTL_OUT:-.}"

usage() {
  echo "usage:" >&2
  sed -n '5,13p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 64
}

# Run routerctl, capturing its exit code instead of letting `set -e` end the script.
run() {
  set +e
  "$routerctl" "$@"
  code=$?
  set -e
}

case "${1:-}" in
  validate)
    "$routerctl" validate
    "$routerctl" fmt --check --diff
    ;;
  plan)
    mkdir -p "$out"
    if [ -n "${ROUTERCTL_BASE:-}" ]; then
      run plan --prune --changed-since "origin/$ROUTERCTL_BASE" --format markdown --detailed-exitcode --out "$out/plan.json" > "$out/plan.md"
    else
      run plan --prune --format markdown --detailed-exitcode --out "$out/plan.json" > "$out/plan.md"
    fi
    echo "$code" > "$out/plan.exitcode"
    cat "$out/plan.md" >&2 # the job log shows the plan too
    case "$code" in
      0) echo "routerctl-ci: no changes." >&2 ;;
      2) echo "routerctl-ci: changes planned; review $out/plan.md, then apply $out/plan.json." >&2 ;;
      *) exit "$code" ;;
    esac
    ;;
  apply)
    "$routerctl" apply "${2:-$out/plan.json}"
    ;;
  drift)
    mkdir -p "$out"
    run plan --prune --format markdown --detailed-exitcode > "$out/drift.md"
    if [ "$code" -eq 2 ]; then
      echo "routerctl-ci: live routers differ from the files; see $out/drift.md." >&2
    fi
    exit "$code"
    ;;
  *)
    usage
    ;;
esac
