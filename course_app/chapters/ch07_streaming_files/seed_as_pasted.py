# ruff: noqa  (the seed as written: its style is part of what the chapter shows)
# mypy: ignore-errors
# (mypy: the seed as written has no annotations, and path_variant imports it, so mypy would follow it)
"""The seed's streaming section, as written: a file download, a CSV export and a generated report.

Only the line breaks are restored (the published text lost them), and what it makes up or leaves undefined is
the course's (:mod:`.stand_ins`): ``'/data/'`` is ``{data()}/``, ``fetch_users_batch`` and
``fetch_section_data`` are defined there, and the report's ``asyncio.sleep(0.5)`` reads ``SEED_SLEEP``.
Everything else is the seed's, ``{filename}`` included (:mod:`.path_variant` serves the same download with the
common ``{filename:path}`` route instead).
"""

# fmt: off
import asyncio
import csv
import io

from fastapi import FastAPI
from fastapi.responses import StreamingResponse

from . import stand_ins
from .stand_ins import data, fetch_section_data, fetch_users_batch

app = FastAPI()


# Stream large file
@app.get('/download/{filename}')
async def download_file(filename: str):
    async def file_stream():
        with open(f'{data()}/{filename}', 'rb') as f:
            while chunk := f.read(8192):
                yield chunk

    return StreamingResponse(
        file_stream(),
        media_type='application/octet-stream',
        headers={'Content-Disposition': f'attachment; filename={filename}'}
    )


# Stream generated CSV
@app.get('/export/users')
async def export_users():
    async def csv_stream():
        output = io.StringIO()
        writer = csv.writer(output)

        # Write header
        writer.writerow(['ID', 'Name', 'Email'])
        yield output.getvalue()
        output.truncate(0)
        output.seek(0)

        # Stream users in batches
        offset = 0
        batch_size = 100
        while True:
            users = await fetch_users_batch(offset, batch_size)
            if not users:
                break
            for user in users:
                writer.writerow([user.id, user.name, user.email])
                yield output.getvalue()
                output.truncate(0)
                output.seek(0)
            offset += batch_size

    return StreamingResponse(
        csv_stream(),
        media_type='text/csv',
        headers={'Content-Disposition': 'attachment; filename=users.csv'}
    )


# Stream generated content
@app.get('/generate/report')
async def generate_report():
    async def report_stream():
        yield b'<html><body><h1>Report</h1>'

        for section in ['users', 'orders', 'analytics']:
            await asyncio.sleep(stand_ins.SEED_SLEEP)  # Simulate processing
            data = await fetch_section_data(section)
            yield f'<h2>{section.title()}</h2>'.encode()
            yield f'<pre>{data}</pre>'.encode()

        yield b'</body></html>'

    return StreamingResponse(report_stream(), media_type='text/html')
