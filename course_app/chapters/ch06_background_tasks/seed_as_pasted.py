# ruff: noqa  (the seed as written: its style is part of what the chapter shows)
"""The seed's three background-task endpoints, as written.

Only the line breaks are restored (the published text lost them), and two things are added or replaced:

* ``UploadFile`` is imported: the seed's imports leave it out, and its ``/upload`` fails with a ``NameError``
  before the app even exists (the notebook shows it);
* the seed's ``/tmp/`` and its ``60`` seconds are the course's stand-ins (:mod:`.stand_ins`), read at each
  request: ``stand_ins.UPLOAD_FOLDER`` and ``stand_ins.CLEANUP_DELAY``.

The file name still goes into the path unchecked, as the seed wrote it (chapter 07 probes and fixes that).
The ``print`` calls are the seed's: their output goes to the server process's standard output.
"""

from fastapi import BackgroundTasks, FastAPI
from fastapi import UploadFile  # missing from the seed's imports
import asyncio
from datetime import datetime

from . import stand_ins

app = FastAPI()


# Simple background task
async def send_email(email: str, message: str):
    await asyncio.sleep(2)  # Simulate email sending
    print(f"Email sent to {email}: {message}")


@app.post("/send-email")
async def send_email_endpoint(email: str, message: str, background_tasks: BackgroundTasks):
    background_tasks.add_task(send_email, email, message)
    return {"status": "Email will be sent in background"}


# Multiple background tasks
async def log_activity(user_id: int, action: str):
    await asyncio.sleep(0.5)
    print(f"[{datetime.now()}] User {user_id} performed: {action}")


async def update_analytics(action: str):
    await asyncio.sleep(1)
    print(f"Analytics updated for action: {action}")


@app.post("/users/{user_id}/action")
async def perform_action(user_id: int, action: str, background_tasks: BackgroundTasks):
    # Add multiple tasks
    background_tasks.add_task(log_activity, user_id, action)
    background_tasks.add_task(update_analytics, action)
    return {"status": "Action logged"}


# Background cleanup
async def cleanup_temp_files(file_path: str):
    await asyncio.sleep(stand_ins.CLEANUP_DELAY)  # Wait before cleanup
    import os

    if os.path.exists(file_path):
        os.remove(file_path)
        print(f"Cleaned up: {file_path}")


@app.post("/upload")
async def upload_file(file: UploadFile, background_tasks: BackgroundTasks):
    temp_path = f"{stand_ins.UPLOAD_FOLDER}/{file.filename}"
    with open(temp_path, "wb") as f:
        content = await file.read()
        f.write(content)

    # Schedule cleanup
    background_tasks.add_task(cleanup_temp_files, temp_path)
    return {"filename": file.filename, "path": temp_path}
