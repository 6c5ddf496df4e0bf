"""The free days now live in PaymentAgreementLevel (0004 copied them); a migration of
its own so that the copy is committed before the columns go."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("discharge", "0004_payment_models")]

    operations = [
        migrations.RemoveField(
            model_name='paymentagreement',
            name='free_days_psychiatric',
        ),
        migrations.RemoveField(
            model_name='paymentagreement',
            name='free_days_somatic',
        ),
    ]
