"""Top-ups of the merchant wallet through payment gateways."""

from tortoise import migrations


class Migration(migrations.Migration):
    dependencies = [("revisit", "0015_merchant_wallet")]

    initial = False

    operations: list = []
