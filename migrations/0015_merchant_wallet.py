"""The merchant wallet: its ledger, plans and tariffs."""

from tortoise import migrations


class Migration(migrations.Migration):
    dependencies = [("revisit", "0014_date_trigger_indexes")]

    initial = False

    operations: list = []
