"""SMS providers: a store's own provider account, delivery reports, inbound messages and unknown outcomes."""

from tortoise import migrations


class Migration(migrations.Migration):
    dependencies = [("revisit", "0012_credit_and_audit")]

    initial = False

    operations: list = []
