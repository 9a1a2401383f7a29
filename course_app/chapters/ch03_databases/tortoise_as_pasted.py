# The seed's "Tortoise ORM async" part exactly as written, reflowed, inside `build()` (the course's) so that
# importing this module starts nothing: `build()` returns the seed's app. Its db_url names no server here, and
# its module 'app.models' does not exist, so the app does not start. The model's class is in a `with` block of
# the course's that records the warning Tortoise 1.1 gives it (`pk` is deprecated).
# ruff: noqa
# mypy: ignore-errors
import warnings

WARNINGS: list = []


def build():
    from fastapi import FastAPI, HTTPException
    from tortoise.contrib.fastapi import register_tortoise

    app = FastAPI()

    # Tortoise ORM async
    register_tortoise(
        app,
        db_url="postgres://user:pass@localhost/db",
        modules={"models": ["app.models"]},
        generate_schemas=True,
        add_exception_handlers=True,
    )

    from tortoise.models import Model
    from tortoise import fields

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")

        class UserModel(Model):
            id = fields.IntField(pk=True)
            name = fields.CharField(max_length=255)
            email = fields.CharField(max_length=255)

    WARNINGS[:] = caught

    @app.get("/tortoise-users/{user_id}")
    async def get_tortoise_user(user_id: int):
        user = await UserModel.get_or_none(id=user_id)
        if not user:
            raise HTTPException(status_code=404, detail="User not found")
        return user

    return app
