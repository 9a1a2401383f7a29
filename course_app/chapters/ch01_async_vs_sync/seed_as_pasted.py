# The seed's I/O endpoint exactly as it is written, reflowed (the published text lost its line breaks).
# It imports cleanly. Its first request fails: `httpx` is never imported (NameError, a 500), and
# api.example.com is a reserved example domain with no API behind it anyway.
# ruff: noqa
from fastapi import FastAPI
import time
import asyncio

app = FastAPI()

# I/O-bound work (use async)
@app.get('/io-intensive')
async def io_intensive():
    async with httpx.AsyncClient() as client:
        response = await client.get('https://api.example.com/data')
        return response.json()
