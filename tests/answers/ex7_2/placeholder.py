"""The cell as handed out: no route at all (the placeholder raised before it was defined)."""

from fastapi import FastAPI

EXPECTED = "your app has no route POST /upload yet"

app = FastAPI()
