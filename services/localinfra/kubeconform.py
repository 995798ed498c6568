"""kubeconform, and the check of the cluster manifests in deploy/k8s.

kubeconform is built once with ``go install`` from the Go module proxy into the tool cache (like
Kafka's jars from Maven Central: outside the repository, shared by every checkout, redone when a
build was interrupted). Each overlay of deploy/k8s is rendered with ``kubectl kustomize`` and
checked, offline, against the Kubernetes JSON schemas that the ``kubernetes-validate`` package
(a test dependency) carries and the custom resources' schemas in deploy/k8s/schemas.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import yaml

from services.localinfra.procs import InfraError
from services.localinfra.settings import InfraSettings
from services.plumbing.settings import REPO_ROOT

VERSION = "v0.8.0"
MODULE = "github.com/yannh/kubeconform/cmd/kubeconform"
# The Kubernetes release whose schemas the manifests are checked against (kubectl here is 1.32).
KUBERNETES = "1.32.0"
K8S = REPO_ROOT / "deploy" / "k8s"
CRD_SCHEMAS = K8S / "schemas"
# {{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json: kubeconform's layout for CRDs.
_CRD_LOCATION = "{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
_K8S_LOCATION = "{{ .ResourceKind }}{{ .KindSuffix }}.json"

_NO_GO = (
    "kubeconform is built with Go, which was not found on PATH: install Go 1.22 or newer "
    "(Debian/Ubuntu: apt-get install golang-go; macOS: brew install go)"
)
_NO_KUBECTL = (
    "kubectl (with its built-in kustomize) was not found on PATH: install it "
    "(Debian/Ubuntu: apt-get install kubectl from the Kubernetes apt repository; macOS: "
    "brew install kubectl)"
)

Say = Callable[[str], None]


def home(settings: InfraSettings) -> Path:
    """The cached build (its ``bin`` holds ``kubeconform``)."""
    return settings.cache_dir / f"kubeconform-{VERSION}"


def binary(settings: InfraSettings) -> Path:
    return home(settings) / "bin" / "kubeconform"


def installed(settings: InfraSettings) -> bool:
    return (home(settings) / ".complete").is_file() and binary(settings).is_file()


def ensure_installed(settings: InfraSettings, say: Say = print) -> bool:
    """Build kubeconform into the cache unless it is there; True when it built.

    The build goes into a folder beside the final one, renamed into place once complete; one
    build at a time (a test run and another may start together). Raises :class:`InfraError`
    naming what to install or what went wrong.
    """
    if installed(settings):
        return False
    target = home(settings)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.with_name(target.name + ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if installed(settings):  # another process built it while this one waited
            return False
        _build(target, say)
    return True


def _build(target: Path, say: Say) -> None:
    go = shutil.which("go")
    if go is None:
        raise InfraError(_NO_GO)
    work = target.with_name(target.name + ".partial")
    shutil.rmtree(work, ignore_errors=True)
    (work / "bin").mkdir(parents=True)
    say(f"kubeconform: building {MODULE}@{VERSION} with go install (first time: about a minute)")
    began = time.monotonic()
    env = {**os.environ, "GOBIN": str(work / "bin"), "GOFLAGS": "-buildvcs=false"}
    # -v names each package as it is compiled; downloads are named by go itself.
    argv = [go, "install", "-v", f"{MODULE}@{VERSION}"]
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=work
    )
    assert proc.stdout is not None
    lines: list[str] = []
    compiled = 0
    for raw in proc.stdout:
        line = raw.rstrip()
        lines.append(line)
        if line.startswith("go: downloading"):
            say(f"kubeconform: {line[4:]}")
        elif line and not line.startswith("go:"):
            compiled += 1
            if compiled % 10 == 0:
                say(f"kubeconform: compiled {compiled} packages ({time.monotonic() - began:.0f}s)")
    if proc.wait() != 0 or not (work / "bin" / "kubeconform").is_file():
        tail = "\n".join(lines[-15:])
        raise InfraError(
            f"go install {MODULE}@{VERSION} failed (is the Go module proxy reachable? "
            f"GOPROXY={os.environ.get('GOPROXY', 'default')}):\n{tail}"
        )
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    (work / ".complete").write_text(f"{VERSION} {stamp}\n")
    shutil.rmtree(target, ignore_errors=True)
    work.rename(target)
    say(f"kubeconform: built {VERSION} in {time.monotonic() - began:.0f}s, cached in {target}")


def _packaged_schemas() -> tuple[Path, str]:
    """The strict schemas of :data:`KUBERNETES` in the kubernetes-validate package, its version."""
    spec = find_spec("kubernetes_validate")
    if spec is None or spec.origin is None:
        raise InfraError(
            "the kubernetes-validate package (the Kubernetes JSON schemas) is not installed: "
            "pip install -e '.[test]' (make setup)"
        )
    folder = Path(spec.origin).parent / "kubernetes-json-schema" / f"v{KUBERNETES}-local-strict"
    if not (folder / "deployment-apps-v1.json").is_file():
        raise InfraError(f"kubernetes-validate carries no schemas of Kubernetes {KUBERNETES}")
    return folder, metadata.version("kubernetes-validate")


def kubernetes_schemas(settings: InfraSettings) -> Path:
    """The package's schemas as kubeconform can read them offline, cached beside kubeconform.

    The package's files name themselves ``https://kubernetes.io/api/<kind>/<version>`` and point
    at ``/api/_definitions.json`` (its validator maps that URL to its file): kubeconform would
    fetch them from kubernetes.io. The copy drops the ``$id`` and points at the file beside it.
    """
    source, version = _packaged_schemas()
    target = settings.cache_dir / f"kubernetes-schemas-v{KUBERNETES}-strict-{version}"
    if (target / ".complete").is_file():
        return target
    work = target.with_name(target.name + ".partial")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for path in source.glob("*.json"):
        schema = json.loads(path.read_text())
        schema.pop("$id", None)
        text = json.dumps(schema).replace('"/api/_definitions.json#', '"_definitions.json#')
        (work / path.name).write_text(text)
    (work / ".complete").write_text(f"kubernetes-validate {version} {source.name}\n")
    shutil.rmtree(target, ignore_errors=True)
    work.rename(target)
    return target


def render(overlay: Path) -> str:
    """``kubectl kustomize overlay``: the manifests as one YAML stream."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise InfraError(_NO_KUBECTL)
    proc = subprocess.run(
        [kubectl, "kustomize", str(overlay)], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise InfraError(f"kubectl kustomize {overlay} failed:\n{proc.stderr[-2000:]}")
    return proc.stdout


@dataclass(frozen=True)
class Finding:
    """One resource kubeconform did not find valid: ``status`` is invalid, error or skipped."""

    kind: str
    name: str
    status: str
    msg: str


def validate(settings: InfraSettings, manifests: str) -> list[Finding]:
    """Check a YAML stream, strictly (no unknown fields), every resource against a schema (one
    without a schema is an error); returns what is not valid, nothing when all are."""
    argv = [
        str(binary(settings)), "-strict", "-output", "json",
        "-kubernetes-version", KUBERNETES,
        "-schema-location", str(kubernetes_schemas(settings) / _K8S_LOCATION),
        "-schema-location", str(CRD_SCHEMAS / _CRD_LOCATION),
        "-",
    ]  # fmt: skip
    proc = subprocess.run(argv, input=manifests, capture_output=True, text=True, check=False)
    try:
        report = json.loads(proc.stdout)
    except ValueError as exc:
        output = (proc.stdout + proc.stderr)[-2000:]
        raise InfraError(f"kubeconform gave no report:\n{output}") from exc
    found = [
        Finding(r.get("kind", "?"), r.get("name", "?"), r["status"], r.get("msg", ""))
        for r in report.get("resources", [])
        if r.get("status") != "statusValid"
    ]
    if proc.returncode != 0 and not found:
        raise InfraError(f"kubeconform failed:\n{proc.stderr[-2000:]}")
    return found


ALERTS = REPO_ROOT / "deploy" / "prometheus" / "alerts.yml"
PROMETHEUS_RULE = K8S / "base" / "prometheusrule.yaml"
_RULE_HEADER = (
    "# Generated from deploy/prometheus/alerts.yml (the rules `promtool test rules` tests):\n"
    "# do not edit; `python -m services.localinfra.kubeconform rules` writes it again, and\n"
    "# tests/unit/deploy fails while the two differ.\n"
)


def prometheus_rule(alerts: dict[str, Any]) -> dict[str, Any]:
    """The Prometheus operator's PrometheusRule carrying ``alerts``' rule groups unchanged."""
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "tweetcare"},
        "spec": {"groups": alerts["groups"]},
    }


def prometheus_rule_text() -> str:
    """deploy/k8s/base/prometheusrule.yaml as it must read, from deploy/prometheus/alerts.yml."""
    rule = prometheus_rule(yaml.safe_load(ALERTS.read_text()))
    body = yaml.safe_dump(rule, sort_keys=False, allow_unicode=True, width=100)
    return _RULE_HEADER + body


def overlays() -> list[Path]:
    """Every overlay of deploy/k8s, by name."""
    return sorted(p for p in (K8S / "overlays").iterdir() if (p / "kustomization.yaml").is_file())


def check(settings: InfraSettings, say: Say = print) -> int:
    """Render and validate every overlay; 0 when all are valid (each problem is printed)."""
    ensure_installed(settings, say)
    bad = 0
    for overlay in overlays():
        findings = validate(settings, render(overlay))
        for f in findings:
            say(f"{overlay.name}: {f.kind} {f.name}: {f.status}: {f.msg}")
        say(f"{overlay.name}: {'valid' if not findings else f'{len(findings)} not valid'}")
        bad += len(findings)
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    """``rules``: write the PrometheusRule; ``check``: validate every overlay."""
    args = sys.argv[1:] if argv is None else argv
    if args == ["rules"]:
        PROMETHEUS_RULE.write_text(prometheus_rule_text())
        print(f"wrote {PROMETHEUS_RULE.relative_to(REPO_ROOT)}")
        return 0
    if args == ["check"]:
        try:
            return check(InfraSettings())
        except InfraError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    print("usage: python -m services.localinfra.kubeconform rules|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
