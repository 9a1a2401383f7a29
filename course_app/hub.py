"""Where a served app can be opened from a browser: on this machine, or through a JupyterHub's proxy.

Every :class:`~course_app.server.LiveServer` listens on 127.0.0.1. On a laptop the learner's browser
opens ``http://127.0.0.1:<port>`` directly. On a JupyterHub it cannot: the browser only reaches the
learner's single-user server, at ``$JUPYTERHUB_SERVICE_PREFIX`` (e.g. ``/user/alice/``), and
jupyter-server-proxy forwards ``<prefix>proxy/<port>/<path>`` to ``127.0.0.1:<port>/<path>``,
stripping the prefix. The app must then be served with ``root_path=<prefix>proxy/<port>`` so that the
URLs it writes into its pages (``/docs`` loading ``openapi.json``) carry the prefix.

:func:`detect` reads the situation from the environment a hub gives every kernel and terminal:

``JUPYTERHUB_SERVICE_PREFIX``
    set by the hub's spawner: a hub, and the path of this learner's server.
``JUPYTERHUB_PUBLIC_URL``
    set by JupyterHub 4+ when the hub knows its public address: links become absolute.
``JUPYTERHUB_SERVICE_URL``, ``JUPYTERHUB_API_TOKEN``
    where the single-user server listens and a token it accepts (the doctor checks the proxy with them).

Two variables let an instructor whose set-up differs say what is true:

``COURSE_PROXY_PREFIX``
    the path (or full URL) under which a proxy forwards to ``127.0.0.1:<port>``, stripping it, with
    ``{port}`` where the port goes (appended when absent), e.g. ``/user/alice/proxy/{port}/`` or
    ``https://hub.example.org/ports/{port}/``. ``off`` serves apps without a prefix even on a hub.
``COURSE_PUBLIC_URL``
    the address learners' browsers use, e.g. ``https://hub.example.org``: only its scheme and host are
    used; the path comes from the prefix.

A bad value never raises: it is ignored, and :attr:`Situation.problems` says why in plain words (the
doctor prints them; a starting server warns once). Outside a hub, with neither variable set, nothing
changes: no root path, and the URL to open is the server's own ``http://127.0.0.1:<port>``.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata
from urllib.parse import quote, urlsplit

__all__ = ["JupyterServer", "ProxyInstall", "Situation", "detect", "find_jupyter_server", "proxy_install"]

PREFIX_VAR = "COURSE_PROXY_PREFIX"
PUBLIC_URL_VAR = "COURSE_PUBLIC_URL"
HUB_PREFIX_VAR = "JUPYTERHUB_SERVICE_PREFIX"
HUB_PUBLIC_URL_VAR = "JUPYTERHUB_PUBLIC_URL"

_OFF = {"off", "none", "no", "false", "0", "direct"}
# what may stand in a URL path as it is; anything else (spaces excepted: refused) is percent-encoded
_PATH_SAFE = "/%-._~!$&()*+,;=:@"
_BAD_CHARS = re.compile(r"[\s\x00-\x1f\x7f?#\\\"'<>`]")


@dataclass(frozen=True)
class ProxyInstall:
    """jupyter-server-proxy in this Python environment: installed, and enabled in its Jupyter config."""

    installed: bool
    version: str | None
    #: enabled as a Jupyter server extension in the config this environment reads; None: could not tell
    enabled: bool | None
    detail: str


@functools.cache
def proxy_install() -> ProxyInstall:
    """Is jupyter-server-proxy installed here, and enabled as a server extension? (Read once per process.)"""
    try:
        version = metadata.version("jupyter-server-proxy")
    except metadata.PackageNotFoundError:
        return ProxyInstall(
            False,
            None,
            False,
            "not installed in this Python environment (it comes with the course's dependencies: "
            "python3 run.py lab installs it)",
        )
    try:
        from jupyter_core.paths import jupyter_config_path
        from jupyter_server.extension.config import ExtensionConfigManager

        enabled: bool | None = bool(
            ExtensionConfigManager(read_config_path=jupyter_config_path()).enabled(  # type: ignore[no-untyped-call]
                "jupyter_server_proxy"
            )
        )
    except Exception as exc:  # a broken config file must not break the course: say so
        return ProxyInstall(True, version, None, f"{version}, installed; could not read the Jupyter config: {exc}")
    if enabled:
        return ProxyInstall(True, version, True, f"{version}, installed and enabled as a Jupyter server extension")
    return ProxyInstall(
        True,
        version,
        False,
        f"{version}, installed but disabled in the Jupyter config "
        "(enable it: jupyter server extension enable --sys-prefix jupyter_server_proxy)",
    )


@dataclass(frozen=True)
class Situation:
    """Where this process runs, and so how a browser reaches a server on 127.0.0.1:<port>."""

    #: running under a JupyterHub (its spawner set JUPYTERHUB_SERVICE_PREFIX)
    hub: bool
    #: the learner's server path on the hub, e.g. "/user/alice/" ("" outside a hub)
    service_prefix: str
    #: "/user/alice/proxy/{port}" when browsers go through a proxy; None when they open 127.0.0.1 directly
    proxy_template: str | None
    #: "https://hub.example.org" when the public address is known, else "" (links are relative to the hub's host)
    origin: str
    #: what decided the proxy path: JUPYTERHUB_SERVICE_PREFIX, COURSE_PROXY_PREFIX, or "" (none)
    source: str
    #: environment values that were ignored, each with the reason, in plain words
    problems: tuple[str, ...] = ()
    #: jupyter-server-proxy in this environment (looked at only when a proxy path is in use)
    proxy: ProxyInstall | None = field(default=None, compare=False)

    @property
    def proxied(self) -> bool:
        return self.proxy_template is not None

    def root_path(self, port: int) -> str:
        """The ASGI root path the app on ``port`` must be served with ("" when there is no proxy)."""
        _check_port(port)
        if self.proxy_template is None:
            return ""
        return self.proxy_template.replace("{port}", str(port)).rstrip("/")

    def browser_url(self, port: int) -> str:
        """The URL a learner opens for the app on ``port``, without a trailing slash.

        ``http://127.0.0.1:<port>`` without a proxy; else the proxy path, absolute when the public
        address is known, else relative to the hub's host (a link in JupyterLab works as it is).
        """
        _check_port(port)
        if self.proxy_template is None:
            return f"http://127.0.0.1:{port}"
        return self.origin + self.root_path(port)

    @property
    def warning(self) -> str:
        """What may stop the browser URL from working, in a sentence ("" when nothing is known to)."""
        if self.proxy_template is None or self.proxy is None or self.source != HUB_PREFIX_VAR:
            return ""
        if not self.proxy.installed:
            return (
                "jupyter-server-proxy is not installed in this environment; unless the hub's Jupyter server "
                "has it, this link answers 404 (python3 run.py doctor checks it)"
            )
        if self.proxy.enabled is False:
            return "jupyter-server-proxy is disabled in the Jupyter config; this link answers 404 until it is enabled"
        return ""

    def describe(self) -> str:
        """One line for the doctor: hub or not, and how browsers reach a served app."""
        if self.hub:
            where = f"yes: this server's prefix is {self.service_prefix}"
        else:
            where = f"no ({HUB_PREFIX_VAR} is not set)"
        if self.proxy_template is None:
            how = "apps are opened at http://127.0.0.1:<port>"
            if self.hub:
                how += f" ({PREFIX_VAR}=off)"
        else:
            how = f"apps are opened through the proxy at {self.origin}{self.proxy_template}/"
            if not self.origin:
                how += " (relative to the hub's address)"
            if self.source == PREFIX_VAR:
                how += f" (set by {PREFIX_VAR})"
        return f"{where}; {how}"


def detect(environ: Mapping[str, str] | None = None) -> Situation:
    """Read the situation from ``environ`` (default: this process's environment). Never raises."""
    env = os.environ if environ is None else environ
    problems: list[str] = []

    service_prefix = ""
    raw_hub = env.get(HUB_PREFIX_VAR, "").strip()
    if raw_hub:
        path, problem = _clean_path(raw_hub, HUB_PREFIX_VAR)
        if problem:
            problems.append(problem + "; served apps get links to 127.0.0.1, which a hub's browser cannot open")
        else:
            service_prefix = path.rstrip("/") + "/"

    template: str | None = None
    source = ""
    origin = ""
    raw_override = env.get(PREFIX_VAR, "").strip()
    override_off = raw_override.lower() in _OFF
    if raw_override and not override_off:
        template, origin, problem = _parse_override(raw_override)
        if problem:
            problems.append(problem)
        else:
            source = PREFIX_VAR
    if template is None and service_prefix and not override_off:
        template = service_prefix + "proxy/{port}"
        source = HUB_PREFIX_VAR

    raw_public = env.get(PUBLIC_URL_VAR, "").strip()
    if raw_public:
        public, problem = _origin_of(raw_public, PUBLIC_URL_VAR)
        if problem:
            problems.append(problem)
        elif template is None:
            problems.append(
                f"{PUBLIC_URL_VAR} is set, but no proxy is in use ({HUB_PREFIX_VAR} and {PREFIX_VAR} are not set): "
                "ignored; servers listen on 127.0.0.1 only, so a public address cannot reach them without a proxy"
            )
        else:
            origin = public  # the instructor's word beats what a prefix URL or the hub says
    if template is not None and not origin:
        raw_hub_public = env.get(HUB_PUBLIC_URL_VAR, "").strip()
        if raw_hub_public:
            hub_origin, problem = _origin_of(raw_hub_public, HUB_PUBLIC_URL_VAR)
            origin = "" if problem else hub_origin  # the hub's own value: a bad one only costs the absolute link

    return Situation(
        hub=bool(service_prefix),
        service_prefix=service_prefix,
        proxy_template=template,
        origin=origin,
        source=source,
        problems=tuple(problems),
        proxy=proxy_install() if template is not None else None,
    )


@dataclass(frozen=True)
class JupyterServer:
    """The Jupyter server this process belongs to, as this process can reach it (not as a browser does)."""

    url: str  # ends with "/", e.g. http://127.0.0.1:8888/user/alice/
    token: str
    how: str  # how it was found, for the doctor's report


def find_jupyter_server(environ: Mapping[str, str] | None = None) -> JupyterServer | None:
    """The Jupyter server that runs this kernel or terminal, or None when there is none to be found.

    On a hub: ``JUPYTERHUB_SERVICE_URL`` with ``JUPYTERHUB_API_TOKEN``. Elsewhere: the running server
    (from Jupyter's runtime files) whose process started this kernel (``JPY_PARENT_PID``) or whose URL
    this terminal was given (``JUPYTER_SERVER_URL``).
    """
    env = os.environ if environ is None else environ
    service_url = env.get("JUPYTERHUB_SERVICE_URL", "").strip()
    if service_url:
        try:
            parts = urlsplit(service_url)
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            return None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return None
        # a server bound to every interface is reached on loopback from inside
        netloc = parts.netloc.replace("0.0.0.0", "127.0.0.1").replace("[::]", "[::1]")
        path = parts.path.rstrip("/") + "/"
        token = env.get("JUPYTERHUB_API_TOKEN", "").strip()
        return JupyterServer(f"{parts.scheme}://{netloc}{path}", token, "JUPYTERHUB_SERVICE_URL")
    parent, terminal_url = env.get("JPY_PARENT_PID", "").strip(), env.get("JUPYTER_SERVER_URL", "").strip()
    if not parent and not terminal_url:
        return None
    try:
        from jupyter_server.serverapp import list_running_servers

        for info in list_running_servers():
            url = str(info.get("url", ""))
            if (parent and str(info.get("pid")) == parent) or (
                terminal_url and url.rstrip("/") == terminal_url.rstrip("/")
            ):
                return JupyterServer(url.rstrip("/") + "/", str(info.get("token") or ""), "Jupyter's runtime files")
    except Exception:  # no jupyter_server, unreadable runtime files: nothing to be found
        return None
    return None


def _check_port(port: int) -> None:
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ValueError(f"port must be a bound port, an integer from 1 to 65535, not {port!r}")


def _clean_path(value: str, var: str) -> tuple[str, str]:
    """``value`` as a URL path (percent-encoded, ASCII), or "" and the reason it cannot be one."""
    example = "e.g. /user/alice/"
    if not value.startswith("/"):
        return "", f"{var}={value!r} is not a URL path: it must start with '/', {example}"
    bad = _BAD_CHARS.search(value)
    if bad:
        return "", f"{var}={value!r} is not a URL path: it contains {bad.group()!r}"
    if "//" in value:
        return "", f"{var}={value!r} is not a URL path: it contains an empty segment ('//')"
    if any(segment in (".", "..") for segment in value.split("/")):
        return "", f"{var}={value!r} is not a URL path: it contains a '.' or '..' segment"
    return quote(value, safe=_PATH_SAFE + "{}"), ""


def _parse_override(value: str) -> tuple[str | None, str, str]:
    """COURSE_PROXY_PREFIX as (template with {port}, origin, problem)."""
    origin = ""
    path = value
    if not value.startswith("/"):
        origin, problem = _origin_of(value, PREFIX_VAR, keep_path=True)
        if problem:
            return None, "", problem + " (or 'off')"
        path = urlsplit(value).path or "/"
    clean, problem = _clean_path(path, PREFIX_VAR)
    if problem:
        return None, "", problem
    placeholders = clean.count("{port}")
    if placeholders > 1 or clean.replace("{port}", "").count("{") or clean.replace("{port}", "").count("}"):
        return None, "", f"{PREFIX_VAR}={value!r}: '{{port}}' may appear once, and no other braces"
    if not placeholders:
        clean = clean.rstrip("/") + "/{port}"
    return clean, origin, ""


def _origin_of(value: str, var: str, *, keep_path: bool = False) -> tuple[str, str]:
    """``scheme://host[:port]`` of the URL ``value``, or "" and the reason it is not usable."""
    example = "e.g. https://hub.example.org"
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        return "", f"{var}={value!r} is not a URL ({exc}); {example}"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "", f"{var}={value!r} is not an http(s) URL with a host, {example}"
    if parts.query or parts.fragment or parts.username or parts.password:
        return "", f"{var}={value!r}: a query, fragment or user name has no place in it, {example}"
    if _BAD_CHARS.search(value):
        return "", f"{var}={value!r} contains spaces or quotes"
    if not keep_path and parts.path not in ("", "/") and var == PUBLIC_URL_VAR:
        return "", (
            f"{var}={value!r} has a path ({parts.path}); give only the scheme and host, {example}: "
            f"the path comes from {HUB_PREFIX_VAR} or {PREFIX_VAR}"
        )
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    return f"{parts.scheme}://{host}{'' if port is None else f':{port}'}", ""
