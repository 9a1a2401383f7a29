"""No route at all: the cell ran without the decorated handler (or the decorator is on another app).

Every request is answered 404, and the check counts them.
"""

from fastapi import FastAPI

EXPECTED = "should answer with status 200 (OK) every time; it answered: 20 × 404 Not Found"

app = FastAPI()
