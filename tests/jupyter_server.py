"""A stand-in for a JupyterHub user's server: Jupyter with JupyterLab and jupyter-server-proxy, under
``/user/learner/``, as a hub's spawner runs it. Apps served by the chapters are reached through
``/user/learner/proxy/<port>/`` as a learner's browser reaches them (HTTP and WebSocket alike).

The ``jupyter`` fixture (module scope) is in tests/conftest.py.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

__all__ = ["PREFIX", "Jupyter", "start_jupyter"]

PREFIX = "/user/learner/"


@dataclass
class Jupyter:
    url: str  # http://127.0.0.1:<port>/user/learner/
    origin: str  # http://127.0.0.1:<port>
    token: str
    log: Path

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        """GET a path of the server's host, e.g. /user/learner/proxy/8000/docs, with the token, as the browser would."""
        return httpx.get(self.origin + path, headers={"Authorization": f"token {self.token}"}, timeout=10, **kwargs)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


def start_jupyter(root: Path) -> Iterator[Jupyter]:
    """A Jupyter server (JupyterLab and jupyter-server-proxy enabled) at /user/learner/, as a hub runs it, with its
    folders in ``root``; stopped by its own handle when the generator ends."""
    dirs = {name: root / name for name in ("config", "data", "runtime", "ipython", "work")}
    for d in dirs.values():
        d.mkdir()
    # its own config, runtime and data folders: nothing of the user's is read or written
    extensions = {"ServerApp": {"jpserver_extensions": {"jupyter_server_proxy": True, "jupyterlab": True}}}
    (dirs["config"] / "jupyter_server_config.json").write_text(json.dumps(extensions))
    token = secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTERHUB_", "JUPYTER_", "JPY_"))}
    env.update(
        JUPYTER_CONFIG_DIR=str(dirs["config"]),
        JUPYTER_DATA_DIR=str(dirs["data"]),
        JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
        IPYTHONDIR=str(dirs["ipython"]),
        JUPYTER_TOKEN=token,  # not on the command line, where `ps` shows it
    )
    cmd = [
        sys.executable,
        "-m",
        "jupyter_server",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        "--ServerApp.port=0",  # the OS picks; the server writes it to its runtime file
        "--ServerApp.port_retries=0",
        f"--ServerApp.base_url={PREFIX}",
        f"--ServerApp.root_dir={dirs['work']}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = root / "jupyter.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        info_file = dirs["runtime"] / f"jpserver-{proc.pid}.json"
        deadline = time.monotonic() + 60
        server: Jupyter | None = None
        while server is None:
            assert proc.poll() is None, f"the Jupyter server exited with {proc.returncode}:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"the Jupyter server did not start within 60 s:\n{log.read_text()}"
            if info_file.exists():
                try:
                    info = json.loads(info_file.read_text())
                except json.JSONDecodeError:  # being written
                    info = None
                if info:
                    origin = f"http://127.0.0.1:{info['port']}"
                    candidate = Jupyter(origin + info["base_url"], origin, token, log)
                    with_token = {"Authorization": f"token {token}"}
                    try:
                        ready = httpx.get(candidate.url + "api/status", headers=with_token, timeout=2).status_code
                    except httpx.HTTPError:
                        ready = 0
                    if ready == 200:
                        server = candidate
            time.sleep(0.05)  # a poll interval: the deadline above is what bounds the wait
        yield server
    finally:
        proc.terminate()  # by its own handle
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
