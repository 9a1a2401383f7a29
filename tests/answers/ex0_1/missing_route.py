from fastapi import FastAPI

EXPECTED = "should answer with status 200 (OK) every time; it answered: 20 × 404 Not Found"

app = FastAPI()
