"""The public surface notebooks import from. A rename must break this test, not a learner's session."""

import course_app


def test_all_is_pinned() -> None:
    assert course_app.__all__ == [
        "BusyAndPings",
        "Calibration",
        "LiveServer",
        "LoadResult",
        "Outcome",
        "Probe",
        "RequestRecord",
        "ServerStartError",
        "best_of",
        "calibrate",
        "calibration",
        "compare",
        "free_cores",
        "ideal_async",
        "ideal_serial",
        "ideal_threadpool",
        "load",
        "ping_while_busy",
        "probe",
        "running_servers",
        "scaling",
        "serve",
        "show_source",
        "stop_all",
        "thread_limit",
        "timeline",
    ]


def test_every_exported_name_exists_and_says_where_it_lives() -> None:
    for name in course_app.__all__:
        member = getattr(course_app, name)
        assert member.__module__.startswith("course_app."), name
