"""Known vulnerabilities in the pinned runtime requirements (pip-audit), said out loud.

    python .ci/audit_requirements.py [requirements.txt]

Exit 1 when pip-audit reports a known vulnerability. When the vulnerability data cannot be had
(no route to the service, or a package index that does not serve PyPI's per-version JSON, as
some mirrors do), pip-audit itself would say "No known vulnerabilities found" about packages it
never checked: this script prints a banner saying the audit did NOT happen and exits 0, or 1
with PIP_AUDIT_REQUIRED=1 (set it wherever the service is reachable, so that CI cannot pass
unaudited there).
"""

from __future__ import annotations

import json
import os
import re
import subprocess  # nosec B404  # runs pip-audit, never a shell
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

# pip-audit's default service reads https://pypi.org/pypi/<name>/<version>/json.
PROBE_URL = "https://pypi.org/pypi/{name}/{version}/json"


def banner(lines: list[str]) -> None:
    width = max(len(line) for line in lines) + 4
    print("!" * width)
    for line in lines:
        print(f"! {line.ljust(width - 4)} !")
    print("!" * width)


def not_audited(reason: str) -> int:
    required = os.environ.get("PIP_AUDIT_REQUIRED", "") not in ("", "0")
    banner(
        [
            "pip-audit: the pinned requirements were NOT checked for known vulnerabilities.",
            reason,
            "Nothing is known about them either way."
            + (" PIP_AUDIT_REQUIRED=1: failing." if required else ""),
        ]
    )
    return 1 if required else 0


def first_pin(requirements: Path) -> tuple[str, str] | None:
    for line in requirements.read_text().splitlines():
        match = re.match(r"^\s*([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^\s;#]+)", line)
        if match:
            return match[1], match[2]
    return None


def service_reachable(requirements: Path) -> str | None:
    """None if PyPI answers for a pinned package, else why not."""
    pin = first_pin(requirements)
    if pin is None:
        return f"{requirements} pins no package."
    url = PROBE_URL.format(name=pin[0], version=pin[1])
    try:
        with urllib.request.urlopen(url, timeout=20) as reply:  # noqa: S310  # nosec B310
            if reply.status == 200:
                return None
            return f"{url} answered {reply.status}."
    except urllib.error.HTTPError as error:
        return f"{url} answered {error.code}: the index here serves no vulnerability data."
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        return f"{url} is unreachable ({error})."


def main() -> int:
    requirements = Path(sys.argv[1] if len(sys.argv) > 1 else "requirements.txt")
    problem = service_reachable(requirements)
    if problem:
        return not_audited(problem)
    with tempfile.TemporaryDirectory() as workdir:
        report = Path(workdir) / "audit.json"
        result = subprocess.run(  # noqa: S603  # nosec B603  # fixed argument list
            [
                *(sys.executable, "-m", "pip_audit", "--requirement", str(requirements)),
                *("--format", "json", "--output", str(report), "--progress-spinner", "off"),
            ],
            capture_output=True,
            text=True,
            timeout=1200,
        )
        if not report.exists():
            print(result.stdout, result.stderr, sep="\n")
            return not_audited(f"pip-audit failed ({result.returncode}) before auditing.")
        dependencies = json.loads(report.read_text())["dependencies"]
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    for dependency in vulnerable:
        for vuln in dependency["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
            print(f"{dependency['name']} {dependency['version']}: {vuln['id']} (fixed in {fixed})")
    print(
        f"pip-audit: {len(dependencies)} packages, {len(vulnerable)} with known "
        f"vulnerabilities, {len(skipped)} not audited."
    )
    if vulnerable:
        return 1
    if skipped:
        names = ", ".join(d["name"] for d in skipped)
        return not_audited(f"Skipped by the service: {names}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
