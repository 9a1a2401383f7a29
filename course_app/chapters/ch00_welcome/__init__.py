"""Chapter 00: your first live server.

* :mod:`.hello`: one small app, ``/hello`` and ``/sleep``; nothing clever yet.
"""
