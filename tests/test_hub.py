"""Workshop mode on a JupyterHub: course_app.hub's reading of the environment, and a real proxy.

The proxy tests start a real Jupyter server (with JupyterLab and jupyter-server-proxy) under the base
URL a hub would give it, set the environment a hub's spawner gives a kernel, serve chapters' apps with
``serve(...)`` and open them through ``/user/learner/proxy/<port>/`` as a learner's browser would.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from course_app import hub
from course_app.calibration_app import asgi_app as raw_asgi_app
from course_app.chapters.ch00_welcome import hello
from course_app.chapters.ch01_async_vs_sync import seed_fixed
from course_app.doctor import doctor
from course_app.server import LiveServer, serve
from tests.jupyter_server import PREFIX, Jupyter

HUB_VARS = (
    "JUPYTERHUB_SERVICE_PREFIX",
    "JUPYTERHUB_SERVICE_URL",
    "JUPYTERHUB_PUBLIC_URL",
    "JUPYTERHUB_API_TOKEN",
    "JUPYTERHUB_USER",
    "COURSE_PROXY_PREFIX",
    "COURSE_PUBLIC_URL",
    "JPY_PARENT_PID",
    "JUPYTER_SERVER_URL",
)


@pytest.fixture
def no_hub(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """This process's environment without any hub or override variable (as on a laptop)."""
    for name in HUB_VARS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture
def on_hub(no_hub: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The variables a JupyterHub spawner gives the learner's server, and so its kernels."""
    no_hub.setenv("JUPYTERHUB_SERVICE_PREFIX", PREFIX)
    no_hub.setenv("JUPYTERHUB_USER", "learner")
    return no_hub


# -- reading the environment -----------------------------------------------------------------------


def test_outside_a_hub_nothing_changes() -> None:
    situation = hub.detect({})
    assert not situation.hub and not situation.proxied
    assert situation.root_path(8000) == ""
    assert situation.browser_url(8000) == "http://127.0.0.1:8000"
    assert situation.problems == ()
    assert "no (JUPYTERHUB_SERVICE_PREFIX is not set)" in situation.describe()


@pytest.mark.parametrize("prefix", ["/user/alice/", "/user/alice", "  /user/alice/  "])
def test_on_a_hub_apps_go_through_the_proxy_under_the_servers_prefix(prefix: str) -> None:
    situation = hub.detect({"JUPYTERHUB_SERVICE_PREFIX": prefix})
    assert situation.hub and situation.proxied and situation.source == "JUPYTERHUB_SERVICE_PREFIX"
    assert situation.service_prefix == "/user/alice/"
    assert situation.root_path(8000) == "/user/alice/proxy/8000"
    assert situation.browser_url(8000) == "/user/alice/proxy/8000"  # relative to the hub's host
    assert "relative to the hub's address" in situation.describe()
    assert situation.problems == ()


def test_a_named_server_and_a_hub_under_a_base_url_keep_their_whole_prefix() -> None:
    situation = hub.detect({"JUPYTERHUB_SERVICE_PREFIX": "/jupyter/user/alice/workshop/"})
    assert situation.root_path(8000) == "/jupyter/user/alice/workshop/proxy/8000"


def test_the_hubs_public_url_makes_the_link_absolute() -> None:
    env = {"JUPYTERHUB_SERVICE_PREFIX": "/user/alice/", "JUPYTERHUB_PUBLIC_URL": "https://Hub.Example.org/user/alice/"}
    situation = hub.detect(env)
    assert situation.browser_url(8000) == "https://hub.example.org/user/alice/proxy/8000"
    assert situation.root_path(8000) == "/user/alice/proxy/8000"  # the app's root path never has a host
    env["JUPYTERHUB_PUBLIC_URL"] = ""  # what a hub sets when it does not know its address
    assert hub.detect(env).browser_url(8000) == "/user/alice/proxy/8000"


def test_course_public_url_beats_the_hubs() -> None:
    env = {
        "JUPYTERHUB_SERVICE_PREFIX": "/user/alice/",
        "JUPYTERHUB_PUBLIC_URL": "https://internal.example.org/user/alice/",
        "COURSE_PUBLIC_URL": "https://workshop.example.org:8443/",
    }
    assert hub.detect(env).browser_url(8000) == "https://workshop.example.org:8443/user/alice/proxy/8000"


@pytest.mark.parametrize(
    ("override", "root", "url"),
    [
        ("/user/bob/proxy/", "/user/bob/proxy/8000", "/user/bob/proxy/8000"),  # {port} appended
        ("/ports/{port}/app/", "/ports/8000/app", "/ports/8000/app"),
        (
            "https://lab.example.org/user/bob/proxy/{port}/",
            "/user/bob/proxy/8000",
            "https://lab.example.org/user/bob/proxy/8000",
        ),
    ],
)
def test_course_proxy_prefix_names_another_proxy(override: str, root: str, url: str) -> None:
    situation = hub.detect({"COURSE_PROXY_PREFIX": override})  # works without a hub too
    assert situation.proxied and situation.source == "COURSE_PROXY_PREFIX" and not situation.hub
    assert situation.root_path(8000) == root
    assert situation.browser_url(8000) == url
    assert "set by COURSE_PROXY_PREFIX" in situation.describe()


@pytest.mark.parametrize("off", ["off", "OFF", "none", "direct"])
def test_course_proxy_prefix_off_serves_without_a_prefix_even_on_a_hub(off: str) -> None:
    situation = hub.detect({"JUPYTERHUB_SERVICE_PREFIX": "/user/alice/", "COURSE_PROXY_PREFIX": off})
    assert situation.hub and not situation.proxied
    assert situation.root_path(8000) == ""
    assert situation.browser_url(8000) == "http://127.0.0.1:8000"
    assert "COURSE_PROXY_PREFIX=off" in situation.describe()


def test_a_user_name_outside_ascii_is_percent_encoded() -> None:
    situation = hub.detect({"JUPYTERHUB_SERVICE_PREFIX": "/user/zoë/"})
    assert situation.root_path(8000) == "/user/zo%C3%AB/proxy/8000"  # uvicorn needs an ASCII root path


@pytest.mark.parametrize(
    "prefix",
    [
        "user/alice/",
        "/user/al ice/",
        "/user/../admin/",
        "/user//alice/",
        "/user/alice/?x=1",
        "/user/'alice'/",
        "/a\tb/",
    ],
)
def test_a_bad_hub_prefix_is_explained_and_apps_stay_direct(prefix: str) -> None:
    situation = hub.detect({"JUPYTERHUB_SERVICE_PREFIX": prefix})
    assert not situation.proxied and not situation.hub
    assert situation.root_path(8000) == ""
    [problem] = situation.problems
    assert problem.startswith("JUPYTERHUB_SERVICE_PREFIX=") and "is not a URL path" in problem


@pytest.mark.parametrize(
    "override",
    [
        "{port}/x",
        "/p/{port}/{port}/",
        "/p/{user}/",
        "ftp://example.org/p/",
        "http://[::1/p/",
        "http://h:99999/p/",
        "p q",
    ],
)
def test_a_bad_proxy_prefix_is_explained_and_the_hubs_own_path_is_used(override: str) -> None:
    situation = hub.detect({"JUPYTERHUB_SERVICE_PREFIX": "/user/alice/", "COURSE_PROXY_PREFIX": override})
    assert situation.root_path(8000) == "/user/alice/proxy/8000"  # the fallback: what the hub says
    [problem] = situation.problems
    assert problem.startswith("COURSE_PROXY_PREFIX=")


@pytest.mark.parametrize(
    "public",
    [
        "hub.example.org",
        "https://hub.example.org/user/alice/",
        "javascript:alert(1)",
        "https://h.org/?a=1",
        "https://x:y@h.org",
    ],
)
def test_a_bad_public_url_is_explained_and_links_stay_relative(public: str) -> None:
    situation = hub.detect({"JUPYTERHUB_SERVICE_PREFIX": "/user/alice/", "COURSE_PUBLIC_URL": public})
    assert situation.browser_url(8000) == "/user/alice/proxy/8000"
    [problem] = situation.problems
    assert problem.startswith("COURSE_PUBLIC_URL=")


def test_a_public_url_without_a_proxy_is_ignored_and_says_why() -> None:
    situation = hub.detect({"COURSE_PUBLIC_URL": "https://hub.example.org"})
    assert situation.browser_url(8000) == "http://127.0.0.1:8000"
    [problem] = situation.problems
    assert "no proxy is in use" in problem and "127.0.0.1" in problem


def test_a_bad_hub_public_url_only_costs_the_absolute_link() -> None:
    situation = hub.detect({"JUPYTERHUB_SERVICE_PREFIX": "/user/alice/", "JUPYTERHUB_PUBLIC_URL": "not a url"})
    assert situation.browser_url(8000) == "/user/alice/proxy/8000"


@pytest.mark.parametrize("port", [0, -1, 65536, True, "8000", 8000.0])
def test_urls_need_a_bound_port(port: Any) -> None:
    situation = hub.detect({"JUPYTERHUB_SERVICE_PREFIX": "/user/alice/"})
    with pytest.raises(ValueError, match="port must be a bound port"):
        situation.root_path(port)
    with pytest.raises(ValueError, match="port must be a bound port"):
        situation.browser_url(port)


def test_the_jupyter_server_is_found_from_the_hubs_variables() -> None:
    env = {"JUPYTERHUB_SERVICE_URL": "http://0.0.0.0:8888/user/alice", "JUPYTERHUB_API_TOKEN": "abc"}
    server = hub.find_jupyter_server(env)
    assert server == hub.JupyterServer("http://127.0.0.1:8888/user/alice/", "abc", "JUPYTERHUB_SERVICE_URL")
    for bad in ("not a url", "http://h:99999/", "ftp://h/"):
        assert hub.find_jupyter_server({"JUPYTERHUB_SERVICE_URL": bad}) is None
    assert hub.find_jupyter_server({}) is None


def test_proxy_install_reads_this_environment() -> None:
    proxy = hub.proxy_install()
    assert proxy.installed and proxy.version  # a dependency of the course (pyproject.toml)
    assert proxy.version in proxy.detail


def test_a_hub_without_the_proxy_says_the_link_may_not_work(on_hub: pytest.MonkeyPatch) -> None:
    missing = hub.ProxyInstall(False, None, False, "not installed in this Python environment")
    on_hub.setattr(hub, "proxy_install", lambda: missing)
    situation = hub.detect()
    assert situation.proxied  # still the proxy path: 127.0.0.1 is never reachable from a hub's browser
    assert "jupyter-server-proxy is not installed" in situation.warning
    with LiveServer(hello.app) as srv:
        assert "jupyter-server-proxy is not installed" in srv.browser_note
        assert "jupyter-server-proxy is not installed" in srv._repr_html_()
    disabled = hub.ProxyInstall(True, "4.6.0", False, "4.6.0, installed but disabled")
    on_hub.setattr(hub, "proxy_install", lambda: disabled)
    assert "disabled" in hub.detect().warning


@pytest.mark.anyio
async def test_the_doctor_says_when_a_hub_lacks_the_proxy(on_hub: pytest.MonkeyPatch) -> None:
    missing = hub.ProxyInstall(False, None, False, "not installed in this Python environment")
    on_hub.setattr(hub, "proxy_install", lambda: missing)
    checks = {c.name: c for c in (await doctor(database=False)).checks}
    assert not checks["jupyter-server-proxy"].ok
    assert "learners cannot open a served app's pages" in checks["jupyter-server-proxy"].detail
    assert "jupyter-server-proxy is not installed" in checks["learner URL"].detail


@pytest.mark.anyio
async def test_the_doctor_off_a_hub(no_hub: pytest.MonkeyPatch) -> None:
    checks = {c.name: c for c in (await doctor(database=False)).checks}
    assert checks["JupyterHub"].ok and checks["JupyterHub"].detail.startswith("no (")
    assert "needed only on a JupyterHub" in checks["jupyter-server-proxy"].detail
    assert checks["learner URL"].detail.startswith("http://127.0.0.1:")
    assert "through the proxy" not in checks


# -- LiveServer with the hub's environment -------------------------------------------------------


def test_live_server_outside_a_hub_is_unchanged(no_hub: pytest.MonkeyPatch) -> None:
    with LiveServer(hello.app) as srv:
        assert srv.root_path == ""
        assert srv.browser_url == srv.url == f"http://127.0.0.1:{srv.port}"
        assert "open" not in repr(srv)
        assert f"href='{srv.url}/docs'" in srv._repr_html_()
        assert "url: '/openapi.json'" in httpx.get(srv.url + "/docs").text


def test_live_server_on_a_hub_serves_under_the_proxy_path_and_direct_clients_still_work(
    on_hub: pytest.MonkeyPatch,
) -> None:
    with LiveServer(hello.app) as srv:
        root = f"{PREFIX}proxy/{srv.port}"
        assert srv.root_path == root
        assert srv.url == f"http://127.0.0.1:{srv.port}"  # what the notebook's clients use
        assert srv.browser_url == root  # what the learner opens
        assert f"(open {root})" in repr(srv)
        assert f"href='{root}/docs'" in srv._repr_html_()
        r = httpx.get(srv.url + "/hello", params={"name": "hub"})
        assert r.status_code == 200 and r.json() == {"message": "Hello, hub!"}
        assert f"url: '{root}/openapi.json'" in httpx.get(srv.url + "/docs").text


def test_a_plain_asgi_app_honours_the_root_path(on_hub: pytest.MonkeyPatch) -> None:
    with LiveServer(raw_asgi_app) as srv:
        assert srv.root_path
        r = httpx.get(srv.url + "/noop")
        assert r.status_code == 200 and r.json() == {"ok": True}


def test_an_explicit_root_path_wins(on_hub: pytest.MonkeyPatch) -> None:
    with LiveServer(hello.app, root_path="") as srv:
        assert srv.root_path == ""
        assert "url: '/openapi.json'" in httpx.get(srv.url + "/docs").text
    with LiveServer(hello.app, root_path="/mine/") as srv:
        assert srv.root_path == "/mine"
        assert "url: '/mine/openapi.json'" in httpx.get(srv.url + "/docs").text


@pytest.mark.parametrize("root_path", ["mine", "/a b", "/a?b", "/zoë", 5])
def test_a_bad_explicit_root_path_is_refused(root_path: Any) -> None:
    with pytest.raises(ValueError, match="root_path must be"):
        LiveServer(hello.app, root_path=root_path)


def test_a_bad_variable_warns_once_and_the_server_still_starts(no_hub: pytest.MonkeyPatch) -> None:
    no_hub.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/alice/")
    no_hub.setenv("COURSE_PROXY_PREFIX", "/p/{port}/{port}/")
    with pytest.warns(RuntimeWarning, match="COURSE_PROXY_PREFIX="), LiveServer(hello.app) as srv:
        assert srv.root_path == f"/user/alice/proxy/{srv.port}"  # the hub's own path
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the same problem again: no second warning
        LiveServer(hello.app).start().stop()


# -- a real Jupyter server with jupyter-server-proxy ------------------------------------------------


@pytest.fixture
def kernel_on_hub(on_hub: pytest.MonkeyPatch, jupyter: Jupyter) -> pytest.MonkeyPatch:
    """The environment a hub's spawner gives the learner's kernel, pointing at that Jupyter server."""
    on_hub.setenv("JUPYTERHUB_SERVICE_URL", jupyter.url)
    on_hub.setenv("JUPYTERHUB_API_TOKEN", jupyter.token)
    return on_hub


@pytest.mark.slow
def test_the_stand_in_hub_server_is_jupyterlab_with_the_proxy(jupyter: Jupyter) -> None:
    assert jupyter.url.endswith(PREFIX)
    assert jupyter.get(PREFIX + "lab").status_code == 200
    info = jupyter.get(PREFIX + "server-proxy/servers-info")  # served by jupyter-server-proxy itself
    assert info.status_code == 200 and "server_processes" in info.json()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("app", "route", "expected"),
    [
        (hello.app, "/hello?name=hub", {"message": "Hello, hub!"}),
        (seed_fixed.app, "/async", {"message": f"Completed after {seed_fixed.SLEEP} s"}),
    ],
    ids=["ch00 hello", "ch01 seed_fixed"],
)
def test_a_chapters_app_works_through_the_proxy(
    kernel_on_hub: pytest.MonkeyPatch, jupyter: Jupyter, app: Any, route: str, expected: dict[str, str]
) -> None:
    srv = serve(app, log_level="critical")
    try:
        proxied = f"{PREFIX}proxy/{srv.port}"
        assert srv.browser_url == proxied and srv.root_path == proxied

        r = jupyter.get(proxied + route)  # a route, through the proxy
        assert r.status_code == 200, jupyter.tail()
        assert r.json() == expected

        docs = jupyter.get(proxied + "/docs")  # /docs, through the proxy
        assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")
        assert f"url: '{proxied}/openapi.json'" in docs.text  # Swagger UI asks for the prefixed schema

        schema = jupyter.get(proxied + "/openapi.json")  # ... which loads through the proxy
        assert schema.status_code == 200 and schema.headers["content-type"] == "application/json"
        spec = schema.json()
        assert spec["servers"] == [{"url": proxied}]  # "Try it out" sends its requests through the proxy too
        path = route.split("?")[0]
        assert path in spec["paths"]
        assert jupyter.get(spec["servers"][0]["url"] + route).json() == expected

        direct = httpx.get(srv.url + route, timeout=10)  # the notebook's own client, straight to 127.0.0.1
        assert direct.status_code == 200 and direct.json() == expected
        assert jupyter.get(srv.browser_url + "/nowhere").status_code == 404  # the app's own 404, not the proxy's
        assert jupyter.get(srv.browser_url + "/nowhere").json() == {"detail": "Not Found"}
    finally:
        srv.stop()


@pytest.mark.slow
@pytest.mark.anyio
async def test_the_doctor_reports_the_hub_and_checks_the_proxy_from_inside(kernel_on_hub: pytest.MonkeyPatch) -> None:
    report = await doctor(database=False)
    checks = {c.name: c for c in report.checks}
    assert checks["JupyterHub"].ok and f"yes: this server's prefix is {PREFIX}" in checks["JupyterHub"].detail
    assert checks["jupyter-server-proxy"].ok and "enabled" in checks["jupyter-server-proxy"].detail
    assert f"{PREFIX}proxy/" in checks["learner URL"].detail and "through the proxy" in checks["learner URL"].detail
    through = checks["through the proxy"]
    assert through.ok, through.detail
    assert "/ping 200, /docs 200, /openapi.json 200" in through.detail
    assert report.ok


@pytest.mark.slow
@pytest.mark.anyio
async def test_the_doctor_says_when_the_jupyter_server_refuses_it(kernel_on_hub: pytest.MonkeyPatch) -> None:
    kernel_on_hub.setenv("JUPYTERHUB_API_TOKEN", "not-the-token")
    report = await doctor(database=False)
    through = {c.name: c for c in report.checks}["through the proxy"]
    assert not through.ok and "open the learner URL in the browser" in through.detail
    assert report.ok  # not essential: the course itself runs


@pytest.mark.slow
@pytest.mark.anyio
async def test_the_doctor_without_a_jupyter_server_to_ask(on_hub: pytest.MonkeyPatch) -> None:
    report = await doctor(database=False)
    through = {c.name: c for c in report.checks}["through the proxy"]
    assert not through.ok and "not checked" in through.detail
