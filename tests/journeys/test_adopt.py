"""Adopting ClickOps routers: `import --all` takes only what no file declares, never rewrites
a managed file (with or without --force) unless that router is named, and never writes
through a symlink."""

from __future__ import annotations

import os

from journeys.kit import Repo, api_body

SETTINGS = """\
prune:
  scope: ["desk-*"]
environments:
  staging:
    name_suffix: -staging
"""


def test_adopt_clickops_routers_next_to_managed_ones(repo: Repo) -> None:
    repo.write("routerctl.yaml", SETTINGS)
    managed = repo.router(
        "desk-triage", extra="tests:\n  - prompt: Summarize this.\n    expect_task: summarize\n"
    )
    text = "# hand-written comment, owned by the team\n" + managed.read_text()
    managed.write_text(text)
    repo.commit("one managed router")
    repo.run("apply", "--auto-approve")
    repo.api.create("desk-billing")  # made in the control panel
    repo.api.create("desk-faq")
    repo.api.create("desk-faq-staging")  # staging's copy: not the default environment's
    [triage] = [r for r in repo.api.routers() if r["name"] == "desk-triage"]
    edited = {**api_body("desk-triage"), "description": "clicked"}
    repo.api.call("PUT", f"/v2/gen-ai/models/routers/{triage['uuid']}", edited)

    adopted = repo.run("import", "--all")
    assert sorted(adopted.stdout.split()) == sorted(
        ["wrote", "routers/desk-billing.yaml", "wrote", "routers/desk-faq.yaml"]
    )
    assert managed.read_text() == text  # the managed file is untouched
    assert not (repo.path / "routers/desk-faq-staging.yaml").exists()
    forced = repo.run("import", "--all", "--force")  # nothing left: exit 0, still untouched
    assert "Nothing to import" in forced.stderr
    assert managed.read_text() == text

    # In staging, desk-faq-staging is the copy of a managed router: nothing to adopt.
    faq = (repo.path / "routers/desk-faq.yaml").read_text()
    staged = repo.run("import", "--env", "staging", "--all")
    assert "Nothing to import" in staged.stderr
    assert (repo.path / "routers/desk-faq.yaml").read_text() == faq

    # The control panel wins only when asked by name.
    repo.run("import", "desk-triage", expect=1)
    repo.run("import", "desk-triage", "--force")
    assert "clicked" in managed.read_text()
    repo.commit("adopted")
    repo.run("plan", "--prune", "--detailed-exitcode")
    assert repo.live() == ["desk-billing", "desk-faq", "desk-faq-staging", "desk-triage"]


def test_import_never_writes_through_a_symlink(repo: Repo) -> None:
    repo.write("routerctl.yaml", SETTINGS)
    repo.router("desk-keep")
    repo.commit("one")
    repo.api.create("desk-new")
    outside = repo.path.parent / "outside.yaml"
    os.symlink(outside, repo.path / "routers" / "desk-new.yaml")  # dangling, leaves the repo
    refused = repo.run("import", "desk-new", "--force", expect=1)
    assert "desk-new.yaml" in refused.stderr
    assert not outside.exists()
