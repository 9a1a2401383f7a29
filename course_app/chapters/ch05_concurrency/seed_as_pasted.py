# ruff: noqa  (the seed as written: its style is part of what the chapter shows)
# mypy: ignore-errors
"""The seed's "Parallel API calls" and "Race condition (first to complete wins)", as written.

Only the line breaks are restored (the published text lost them), and its made-up hosts are replaced by the
chapter's service (:mod:`.stand_ins`): ``https://api.example.com`` by ``{api_example()}``, and
``https://store1.com`` (2, 3) by ``{store(1)}`` (2, 3). Everything else is the seed's. Its "Parallel database
queries" is chapter 03's ``seed_as_pasted.get_dashboard``.
"""

from fastapi import FastAPI
import asyncio
import httpx

from .stand_ins import api_example, store

app = FastAPI()


# Parallel API calls
@app.get('/aggregate/user/{user_id}')
async def aggregate_user_data(user_id: int):
    async with httpx.AsyncClient() as client:
        # Fetch from multiple sources in parallel
        profile_task = client.get(f'{api_example()}/users/{user_id}')
        posts_task = client.get(f'{api_example()}/users/{user_id}/posts')
        comments_task = client.get(f'{api_example()}/users/{user_id}/comments')

        profile, posts, comments = await asyncio.gather(
            profile_task,
            posts_task,
            comments_task
        )

        return {
            'profile': profile.json(),
            'posts': posts.json(),
            'comments': comments.json()
        }


# Race condition (first to complete wins)
@app.get('/fastest-price/{product_id}')
async def get_fastest_price(product_id: str):
    async with httpx.AsyncClient() as client:
        tasks = [
            client.get(f'{store(1)}/price/{product_id}'),
            client.get(f'{store(2)}/price/{product_id}'),
            client.get(f'{store(3)}/price/{product_id}')
        ]

        done, pending = await asyncio.wait(
            tasks,
            return_when=asyncio.FIRST_COMPLETED
        )

        # Cancel pending requests
        for task in pending:
            task.cancel()

        result = done.pop().result()
        return result.json()
