"""Chapter 00: your first live server.

* :mod:`.hello`: one small app, ``/hello`` and ``/sleep``; nothing clever yet.
"""

#: For the instructor guide (``python3 run.py guide``), by the notebook's own headings (tests/test_guide.py checks
#: that each still exists): where a pause fits, what to show live, and what a shared hub should know.
INSTRUCTOR = {
    "breaks": {
        "Exercise 0.1 · A route that waits without blocking": (
            "everyone should have the doctor's table and a live server's `/docs` open by now. Let those who have not "
            "catch up before the first exercise."
        ),
    },
    "live": {
        "Is this machine ready?": (
            "run the doctor on the projector and read its table aloud; learners run theirs and raise a hand at a "
            "red mark. `python3 run.py doctor` in a terminal runs the same checks."
        ),
        "`asyncio.run()` in a notebook, and top-level `await`": (
            "type `asyncio.run(answer())` into a fresh cell and let it fail, then `await answer()`. Exercise 0.2's "
            "frequent mistake is this one."
        ),
        "Your first live server": (
            "open the served app's `/docs` from the link and try `/hello` there; then run the `serve` cell again: "
            "the old server is replaced, with no “address already in use”."
        ),
        "httpx is a fine client, and a poor load generator": (
            "before running the comparison, ask the room which is slower: httpx with a cold pool, or a warm one."
        ),
    },
    "hub": [],
}
