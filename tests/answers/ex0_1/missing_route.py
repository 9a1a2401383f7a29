from fastapi import FastAPI

EXPECTED = "should answer 200 every time; it answered {404: 20}"

app = FastAPI()
