"""Answers to exercise 6.1: reply first, send the welcome email after.

:func:`new_app` builds what the notebook's cell builds around the learner's two pieces: the app, with the list
``app.state.outbox`` that the task files each address in. Each answer adds its task and its ``POST /signup``.
"""

from fastapi import FastAPI

from course_app.exercises.ch06 import EMAIL_SECONDS

__all__ = ["EMAIL_SECONDS", "new_app"]


def new_app() -> FastAPI:
    app = FastAPI(title="exercise 6.1")
    app.state.outbox = []
    return app
