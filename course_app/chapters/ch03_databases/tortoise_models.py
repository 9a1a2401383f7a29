"""The seed's ``UserModel`` for Tortoise ORM, mapped onto the seed data's ``course.users`` (no table of its own)."""

from tortoise import fields
from tortoise.models import Model


class UserModel(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=255)
    email = fields.CharField(max_length=255)

    class Meta:
        table = "users"
        schema = "course"
