"""What dispatching campaigns in chunks needs."""

from tortoise import migrations


class Migration(migrations.Migration):
    dependencies = [("revisit", "0017_campaigns")]

    initial = False

    operations: list = []
