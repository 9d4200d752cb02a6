"""Credit that behaves like money (expiry, adjustments) and the audit trail."""

from tortoise import migrations


class Migration(migrations.Migration):
    dependencies = [("revisit", "0011_journeys")]

    initial = False

    operations: list = []
