"""Coupon templates, their codes and redemptions."""

from tortoise import migrations


class Migration(migrations.Migration):
    dependencies = [("revisit", "0008_segment_condition_indexes")]

    initial = False

    operations: list = []
