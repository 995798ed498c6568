"""Elasticsearch (single node) on loopback; as root it runs as its own system user."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from services.localinfra.checksums import fetch_maven_checksum, maven_url, verify
from services.localinfra.procs import (
    InfraError,
    is_alive,
    port_open,
    read_pid,
    start_detached,
    tail,
)
from services.localinfra.settings import InfraSettings
from services.localinfra.tools import java_home, run_maven

NAME = "elasticsearch"


def home(settings: InfraSettings) -> Path:
    return settings.cache_dir / f"elasticsearch-{settings.es_version}"


def state(settings: InfraSettings) -> Path:
    return settings.state_dir / NAME


def pid_file(settings: InfraSettings) -> Path:
    """The launcher's pid (what we started)."""
    return state(settings) / "launcher.pid"


def server_pid_file(settings: InfraSettings) -> Path:
    """The server JVM's pid, written by Elasticsearch itself (``-p``)."""
    return state(settings) / "server.pid"


def log_file(settings: InfraSettings) -> Path:
    return state(settings) / "logs" / "tweetcare-local.log"


def ensure_installed(settings: InfraSettings) -> bool:
    """Fetch and unpack the distribution from Maven Central unless cached; True when fetched."""
    target = home(settings)
    if (target / ".complete").exists():
        return False
    java_home()
    download = settings.cache_dir / "downloads"
    download.mkdir(parents=True, exist_ok=True)
    artifact = (
        f"org.elasticsearch.distribution.integ-test-zip:elasticsearch:{settings.es_version}:zip"
    )
    run_maven(
        ["dependency:copy", f"-Dartifact={artifact}", f"-DoutputDirectory={download}",
         "-Dmdep.overWriteReleases=true"],
        f"Elasticsearch {settings.es_version}",
    )  # fmt: skip
    archive = download / f"elasticsearch-{settings.es_version}.zip"
    _verify(settings, archive)
    work = target.with_name(target.name + ".partial")
    shutil.rmtree(work, ignore_errors=True)
    _unzip_keeping_modes(archive, work)
    inner = work / f"elasticsearch-{settings.es_version}"
    (inner / ".complete").write_text(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    shutil.rmtree(target, ignore_errors=True)
    inner.rename(target)
    shutil.rmtree(work, ignore_errors=True)
    archive.unlink()
    return True


def _verify(settings: InfraSettings, archive: Path) -> None:
    """Check the zip against the SHA-512 Maven Central publishes beside it; a zip that does not
    match is deleted before anything is unpacked."""
    url = maven_url(
        "org.elasticsearch.distribution.integ-test-zip", "elasticsearch", settings.es_version, "zip"
    )
    try:
        verify(archive, fetch_maven_checksum(url, "sha512"), "sha512", "Elasticsearch")
    except InfraError:
        archive.unlink(missing_ok=True)
        raise


def _unzip_keeping_modes(archive: Path, dest: Path) -> None:
    # zipfile drops the executable bits that bin/ needs; restore them from the entries.
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            path = Path(zf.extract(info, dest))
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                path.chmod(mode)


def _ensure_user(settings: InfraSettings) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(settings.es_user)
    except KeyError:
        pass
    proc = subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
         settings.es_user],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        raise InfraError(
            f"Elasticsearch refuses to run as root and the user {settings.es_user!r} could not be "
            f"created: {proc.stderr.strip()}. Create it, or run `tweetcare infra up` as a normal "
            "user."
        )
    return pwd.getpwnam(settings.es_user)


def _chown_tree(path: Path, uid: int, gid: int) -> None:
    os.chown(path, uid, gid)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.chown(os.path.join(root, name), uid, gid, follow_symlinks=False)


def configure(settings: InfraSettings) -> Path:
    """Write the node's configuration into the state directory; returns the config directory."""
    root = state(settings)
    config, data, logs = root / "config", root / "data", root / "logs"
    for path in (data, logs):
        path.mkdir(parents=True, exist_ok=True)
    if not config.exists():
        shutil.copytree(home(settings) / "config", config)
    (config / "elasticsearch.yml").write_text(
        "\n".join(
            [
                "cluster.name: tweetcare-local",
                "node.name: tweetcare-local-1",
                "discovery.type: single-node",
                "network.host: 127.0.0.1",
                f"http.port: {settings.es_port}",
                f"transport.port: {settings.es_transport_port}",
                f"path.data: {data}",
                f"path.logs: {logs}",
                # Only settings of modules in the integ-test zip: any other is fatal at boot.
                "xpack.security.enabled: false",
                "cluster.routing.allocation.disk.threshold_enabled: false",
                "action.destructive_requires_name: false",
                "",
            ]
        )
    )
    return config


def start(settings: InfraSettings) -> int:
    """Start the node in the background; returns the launcher's pid (or the running one)."""
    running = read_pid(pid_file(settings))
    if running is not None:
        return running
    for port in (settings.es_port, settings.es_transport_port):
        if port_open("127.0.0.1", port):
            raise InfraError(
                f"port {port} is taken by another program: stop it, or choose other ports with "
                "TWEETCARE_ES_URL / TWEETCARE_ES_TRANSPORT_PORT"
            )
    root = state(settings)
    root.mkdir(parents=True, exist_ok=True)
    config = configure(settings)
    tmp = root / "tmp"
    tmp.mkdir(exist_ok=True)
    user: str | None = None
    if settings.run_as_es_user:
        account = _ensure_user(settings)
        _chown_tree(root, account.pw_uid, account.pw_gid)
        _chown_tree(home(settings), account.pw_uid, account.pw_gid)
        # The user must be able to reach the state and cache folders through their parents.
        for folder in (settings.state_dir, settings.cache_dir):
            folder.chmod(0o755)
        user = settings.es_user
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "ES_JAVA_HOME": str(java_home()),
        "ES_PATH_CONF": str(config),
        "ES_TMPDIR": str(tmp),
        "ES_JAVA_OPTS": f"-Xms{settings.es_heap} -Xmx{settings.es_heap}",
        "HOME": str(root),
        "LANG": "C.UTF-8",
    }
    server_pid_file(settings).unlink(missing_ok=True)
    return start_detached(
        [str(home(settings) / "bin" / "elasticsearch"), "-p", str(server_pid_file(settings))],
        log_file=log_file(settings),
        pid_file=pid_file(settings),
        env=env,
        cwd=root,
        user=user,
    )


def pids(settings: InfraSettings) -> list[int]:
    """The live processes of the node: the server JVM and its launcher."""
    found = []
    for path in (server_pid_file(settings), pid_file(settings)):
        pid = read_pid(path)
        if pid is not None and is_alive(pid):
            found.append(pid)
    return found


def request(settings: InfraSettings, method: str, path: str, body: object | None = None) -> object:
    """One JSON request to the node; raises urllib errors as they come."""
    data = json.dumps(body).encode() if body is not None else None
    # es_url is validated to be http(s) by InfraSettings.
    req = urllib.request.Request(  # noqa: S310
        settings.es_url.rstrip("/") + path,
        data=data,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310
        return json.loads(resp.read() or b"null")


def healthy(settings: InfraSettings) -> bool:
    """The cluster answers and is at least yellow."""
    if not port_open("127.0.0.1", settings.es_port):
        return False
    try:
        health = request(settings, "GET", "/_cluster/health?wait_for_status=yellow&timeout=2s")
    except (urllib.error.URLError, OSError, ValueError):
        return False
    return isinstance(health, dict) and health.get("status") in ("yellow", "green")


def failure_hint(settings: InfraSettings) -> str:
    return f"Elasticsearch did not become healthy; its log ({log_file(settings)}) ends:\n" + tail(
        log_file(settings)
    )
