"""The npm tools the tests drive (tests/clients/package.json, versions pinned by its package-lock.json): installed
with `npm ci` by `make install-test`, or here, once, when a test needs them and they are missing or stale."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import stat
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest

CLIENTS = Path(__file__).resolve().parents[1] / "clients"
MODULES = CLIENTS / "node_modules"
INSTALL_TIMEOUT = 600  # seconds: a cold npm cache downloads about 40 MB


def _pinned() -> dict[str, str]:
    lock = json.loads((CLIENTS / "package-lock.json").read_text(encoding="utf-8"))
    return {name.removeprefix("node_modules/"): entry["version"] for name, entry in lock["packages"].items()
            if name.startswith("node_modules/") and sys.platform in entry.get("os", [sys.platform])}


def _stale() -> list[str]:
    """The pinned packages that are missing or at another version in node_modules."""
    wrong = []
    for name, version in _pinned().items():
        manifest = MODULES / name / "package.json"
        try:
            installed = json.loads(manifest.read_text(encoding="utf-8")).get("version")
        except (OSError, ValueError):
            installed = None
        if installed != version:
            wrong.append(f"{name}@{version}")
    return wrong


@lru_cache(maxsize=1)
def install() -> Path:
    """node_modules of tests/clients, as the lockfile pins it; fails the test (never skips) when npm cannot
    install it."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.fail("node and npm are needed for the editor and SARIF tests: `make install-test` installs "
                    "Debian's nodejs and npm")
    with open(CLIENTS / ".install.lock", "w") as guard:  # one installer at a time (parallel test runs)
        fcntl.flock(guard, fcntl.LOCK_EX)
        stale = _stale()
        if stale:
            print(f"installing {', '.join(stale)} with npm ci into {MODULES}", file=sys.stderr)
            done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=CLIENTS,
                                  capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False)
            if done.returncode != 0 or _stale():
                pytest.fail(f"npm ci in {CLIENTS} failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return MODULES


def yaml_language_server() -> list[str]:
    """The command that runs the YAML language server over stdio."""
    return ["node", str(install() / "yaml-language-server" / "bin" / "yaml-language-server"), "--stdio"]


def sarif_multitool() -> Path:
    """The SARIF multitool's executable for this platform (called directly: its npm wrapper goes through a
    shell, which would split arguments such as "Sarif;Ghas")."""
    platform = {"linux": "linux", "darwin": "darwin", "win32": "win32"}.get(sys.platform, sys.platform)
    folder = install() / "@microsoft" / f"sarif-multitool-{platform}"
    executable = folder / ("Sarif.Multitool.exe" if platform == "win32" else "Sarif.Multitool")
    if not executable.is_file():
        pytest.fail(f"the SARIF multitool has no build for this platform ({sys.platform}): {executable} is missing")
    mode = executable.stat().st_mode
    if not mode & stat.S_IXUSR:  # its postinstall only does this, and npm may not run install scripts
        executable.chmod(mode | stat.S_IXUSR)
    return executable


def multitool_env() -> dict[str, str]:
    """The environment for the multitool: .NET without ICU, so it runs on machines without libicu."""
    return {**os.environ, "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT": "1", "DOTNET_CLI_TELEMETRY_OPTOUT": "1"}


def sarif_findings(path: Path, rule_kinds: str = "Sarif") -> list[tuple[str, str, str]]:
    """(rule id, level, message) of every finding of the SARIF multitool's `validate` on the SARIF file `path`,
    with the rules of `rule_kinds` ("Sarif": the SARIF specification's; "Sarif;Ghas": also GitHub's ingestion
    rules)."""
    out = path.with_name(path.name + ".validation.sarif")
    done = subprocess.run([str(sarif_multitool()), "validate", str(path), "--output", str(out), "--log",
                           "ForceOverwrite", "--rule-kind", rule_kinds], capture_output=True, text=True,
                          timeout=120, env=multitool_env(), check=False)
    if not out.is_file():
        pytest.fail(f"the SARIF multitool wrote no report (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
    log = json.loads(out.read_text(encoding="utf-8-sig"))
    findings = []
    for run in log["runs"]:
        rules = {rule["id"]: rule for rule in run["tool"]["driver"].get("rules", [])}
        for result in run.get("results", []):
            message = result["message"]
            text = message.get("text") or rules.get(result["ruleId"], {}).get("messageStrings", {}).get(
                message.get("id", ""), {}).get("text", message.get("id", ""))
            for i, argument in enumerate(message.get("arguments", [])):
                text = text.replace("{" + str(i) + "}", str(argument))
            findings.append((result["ruleId"], result.get("level", "warning"), text))
        for invocation in run.get("invocations", []):
            for note in invocation.get("toolExecutionNotifications", []):
                findings.append(("notification", note.get("level", "warning"), note["message"].get("text", "")))
    return findings
