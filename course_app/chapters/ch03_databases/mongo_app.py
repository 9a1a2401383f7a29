"""MongoDB through PyMongo's own async client (``AsyncMongoClient``, the successor of Motor), done right.

* the client is made once, in the lifespan, and closed there;
* a document's ``_id`` is an ``ObjectId``, not its 24-character hex text: the path parameter is checked and
  converted (a malformed id is a 422, an unknown one a 404);
* the response is plain JSON: the ``_id`` as text, no BSON types left in it.

There is no MongoDB server in the course: the app runs against ``create_app(url)`` or ``$COURSE_MONGODB_URL``,
and without one every route answers 503 saying so.
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from bson import ObjectId
from bson.errors import InvalidId
from fastapi import Body, Depends, FastAPI, HTTPException, Path, Request
from pymongo import AsyncMongoClient
from pymongo.errors import ConnectionFailure, ServerSelectionTimeoutError

MONGO_ENV = "COURSE_MONGODB_URL"
#: what this app needs from outside, when it is served alone (python3 run.py serve 03 --app ...)
NEEDS = {MONGO_ENV: "a MongoDB URL (mongodb://...): the course has no MongoDB server of its own"}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    if not app.state.mongodb:
        yield {"documents": None}
        return
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(app.state.mongodb, serverSelectionTimeoutMS=3000)
    try:
        yield {"documents": client[app.state.database_name]["documents"]}
    finally:
        await client.close()


def documents(request: Request) -> Any:
    if request.state.documents is None:
        raise HTTPException(503, f"this app was given no MongoDB: create_app(url=...), or set {MONGO_ENV}")
    return request.state.documents


def object_id(doc_id: Annotated[str, Path(min_length=24, max_length=24)]) -> ObjectId:
    """The path's 24 hex digits as the ObjectId they name; anything else is the client's mistake (422)."""
    try:
        return ObjectId(doc_id)
    except InvalidId:
        raise HTTPException(422, f"{doc_id!r} is not a document id: 24 hexadecimal digits") from None


def as_json(document: dict[str, Any]) -> dict[str, Any]:
    """A stored document as plain JSON: its ``_id`` as ``id``, in hex."""
    return {"id": str(document["_id"]), **{k: v for k, v in document.items() if k != "_id"}}


async def get_document(
    oid: Annotated[ObjectId, Depends(object_id)], docs: Annotated[Any, Depends(documents)]
) -> dict[str, Any]:
    try:
        document = await docs.find_one({"_id": oid})
    except (ConnectionFailure, ServerSelectionTimeoutError) as exc:
        raise HTTPException(503, f"MongoDB did not answer: {type(exc).__name__}") from None
    if document is None:
        raise HTTPException(404, f"no document with id {oid}")
    return as_json(document)


async def create_document(
    data: Annotated[dict[str, Any], Body(max_length=100)], docs: Annotated[Any, Depends(documents)]
) -> dict[str, str]:
    try:
        result = await docs.insert_one(dict(data))  # a copy: insert_one adds "_id" to the dict it is given
    except (ConnectionFailure, ServerSelectionTimeoutError) as exc:
        raise HTTPException(503, f"MongoDB did not answer: {type(exc).__name__}") from None
    return {"id": str(result.inserted_id)}


def create_app(url: str | None = None, database_name: str = f"course_ch03_{os.getpid()}") -> FastAPI:
    app = FastAPI(title="ch03: MongoDB with PyMongo's async client", lifespan=lifespan)
    app.state.mongodb = url or os.environ.get(MONGO_ENV, "").strip() or None
    app.state.database_name = database_name
    app.get("/documents/{doc_id}")(get_document)
    app.post("/documents", status_code=201)(create_document)
    return app


app = create_app()
