"""Journeys: versions, entry rules, durable waits and per-step outcomes."""

from tortoise import migrations


class Migration(migrations.Migration):
    dependencies = [("revisit", "0010_sending_policy")]

    initial = False

    operations: list = []
