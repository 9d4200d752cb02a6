"""Bulk campaigns: the campaigns, their audience snapshots and their messages."""

from tortoise import migrations


class Migration(migrations.Migration):
    dependencies = [("revisit", "0016_wallet_top_ups")]

    initial = False

    operations: list = []
