"""Answers to exercise 7.2: ``POST /upload``, limited to ``EX72_MAX`` bytes of body, copied to
``app.state.folder / "upload.bin"`` in chunks.

Each answer module builds its own app, as the learner's cell does (the route, decorator included, is the answer).
"""

EX72_MAX = 8 * 1024 * 1024
CHUNK = 64 * 1024
