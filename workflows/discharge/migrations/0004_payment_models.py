"""Agreement models as data (issue #18).

Each agreement's free days become levels per care type from the start of its first
year; the Stockholm agreement from 2020 is the average model (research P5: "från
individuella fristdagar till genomsnittliga fristdagar", all discharged patients, day 0
included, calendar days), its routine's 2 and 5 days read as the agreed averages
(research §1.2, [I]; the later stage levels were not found and are added by an
administrator as new level rows). The law's default keeps its rows and gets the
psychiatric 30 days of 2018 (prop. 2017/18:12, research P8). No amount is invented:
existing amounts are kept; 2022 and 2023 are marked unconfirmed (secondary sources).
"""
import datetime as dt

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


STOCKHOLM_2020 = ("Region Stockholm och Storsthlm", "2020")
SOURCES = {
    2019: "HSLF-FS 2018:67 (research P1)",
    2020: "HSLF-FS 2019 (research P4, P9)",
    2022: "Socialstyrelsens föreskrift, cited by Vårdsamverkan Skåne (research P10); to confirm",
}
UNCONFIRMED = {
    2023: (10500, "HSLF-FS 2022:60, secondary source only (research P11); to confirm"),
}


def levels_from_free_days(apps, schema_editor):
    PaymentAgreement = apps.get_model("discharge", "PaymentAgreement")
    Level = apps.get_model("discharge", "PaymentAgreementLevel")
    PaymentDayRate = apps.get_model("discharge", "PaymentDayRate")
    for agreement in PaymentAgreement.objects.all():
        start = dt.date(agreement.valid_from_year, 1, 1)
        end = dt.date(agreement.valid_to_year, 12, 31) if agreement.valid_to_year else None
        somatic, psychiatric = agreement.free_days_somatic, agreement.free_days_psychiatric
        Level.objects.create(
            agreement=agreement, care_type="SOMATIC", valid_from_date=start,
            valid_to_date=end, level=somatic,
        )
        if agreement.is_statutory_default and agreement.valid_from_year == 2018:
            Level.objects.create(
                agreement=agreement, care_type="PSYCHIATRIC", valid_from_date=start,
                valid_to_date=dt.date(2018, 12, 31), level=30,
            )
            start = dt.date(2019, 1, 1)
        Level.objects.create(
            agreement=agreement, care_type="PSYCHIATRIC", valid_from_date=start,
            valid_to_date=end, level=psychiatric,
        )
        if (agreement.name, agreement.version) == STOCKHOLM_2020:
            agreement.model = "AVERAGE"
            agreement.settlement_months = 1
            agreement.source = (
                "Överenskommelse Region Stockholm–Storsthlm från 2020, kap. 12: "
                "genomsnittsmodell, dag 0 medräknas, kalenderdagar (research P4, P5)"
            )
        if agreement.is_statutory_default:
            agreement.source = "LUS 5 kap. 3 §; psykiatri 2018: prop. 2017/18:12 (research P8)"
        agreement.save()
    for year, source in SOURCES.items():
        PaymentDayRate.objects.filter(year=year).update(
            source=source, confirmed=year != 2022
        )
    for year, (amount, source) in UNCONFIRMED.items():
        PaymentDayRate.objects.get_or_create(
            year=year, defaults={"amount_sek": amount, "source": source, "confirmed": False}
        )


def free_days_from_levels(apps, schema_editor):
    PaymentAgreement = apps.get_model("discharge", "PaymentAgreement")
    for agreement in PaymentAgreement.objects.all():
        for care_type, field in (("SOMATIC", "free_days_somatic"), ("PSYCHIATRIC", "free_days_psychiatric")):
            level = agreement.levels.filter(care_type=care_type).order_by("-valid_from_date").first()
            setattr(agreement, field, int(level.level) if level else 0)
        agreement.save()


class Migration(migrations.Migration):

    dependencies = [
        ('discharge', '0003_withdrawal_and_late_registration'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='PaymentAgreementLevel',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('care_type', models.CharField(choices=[('SOMATIC', 'Somatic care'), ('PSYCHIATRIC', 'Psychiatric inpatient care')], max_length=12, verbose_name='care type')),
                ('valid_from_date', models.DateField(verbose_name='valid from')),
                ('valid_to_date', models.DateField(blank=True, null=True, verbose_name='valid to')),
                ('level', models.DecimalField(decimal_places=2, help_text='Per-patient model: free days after day 0. Average model: agreed mean.', max_digits=5, verbose_name='free days or average level')),
            ],
            options={
                'verbose_name': 'level of payment agreement',
                'verbose_name_plural': 'levels of payment agreement',
                'ordering': ['agreement', 'care_type', 'valid_from_date'],
            },
        ),
        migrations.AddField(
            model_name='paymentagreement',
            name='day_count',
            field=models.CharField(choices=[('CALENDAR', 'Calendar days'), ('WORKING', 'Working days')], default='CALENDAR', max_length=10, verbose_name='days counted as'),
        ),
        migrations.AddField(
            model_name='paymentagreement',
            name='model',
            field=models.CharField(choices=[('PER_PATIENT', 'Per patient: free days for each patient'), ('AVERAGE', 'Average: mean days per municipality and period')], default='PER_PATIENT', max_length=12, verbose_name='payment model'),
        ),
        migrations.AddField(
            model_name='paymentagreement',
            name='settlement_months',
            field=models.PositiveSmallIntegerField(choices=[(1, 'Month'), (3, 'Quarter'), (6, 'Half year'), (12, 'Year')], default=1, help_text='The average model compares the mean over this period with the level.', verbose_name='settlement period (months)'),
        ),
        migrations.AddField(
            model_name='paymentdayrate',
            name='confirmed',
            field=models.BooleanField(default=True, help_text='Unconfirmed amounts are shown as such on every figure.', verbose_name='confirmed against the regulation'),
        ),
        migrations.AddField(
            model_name='paymentdayrate',
            name='recorded_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='recorded'),
        ),
        migrations.AddField(
            model_name='paymentdayrate',
            name='recorded_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='recorded by'),
        ),
        migrations.AddField(
            model_name='readyfordischargenotice',
            name='backdate_reason',
            field=models.CharField(blank=True, max_length=300, verbose_name='reason the time is earlier than it was sent'),
        ),
        migrations.AddConstraint(
            model_name='paymentagreement',
            constraint=models.CheckConstraint(condition=models.Q(('valid_to_year__isnull', True), ('valid_to_year__gte', models.F('valid_from_year')), _connector='OR'), name='payment_agreement_years_ordered'),
        ),
        migrations.AddConstraint(
            model_name='paymentdayrate',
            constraint=models.CheckConstraint(condition=models.Q(('amount_sek__gt', 0)), name='payment_rate_positive'),
        ),
        migrations.AddField(
            model_name='paymentagreementlevel',
            name='agreement',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='levels', to='discharge.paymentagreement', verbose_name='payment agreement'),
        ),
        migrations.AddConstraint(
            model_name='paymentagreementlevel',
            constraint=models.UniqueConstraint(fields=('agreement', 'care_type', 'valid_from_date'), name='payment_level_one_per_start'),
        ),
        migrations.AddConstraint(
            model_name='paymentagreementlevel',
            constraint=models.CheckConstraint(condition=models.Q(('level__gte', 0)), name='payment_level_positive'),
        ),
        migrations.AddConstraint(
            model_name='paymentagreementlevel',
            constraint=models.CheckConstraint(condition=models.Q(('valid_to_date__isnull', True), ('valid_to_date__gte', models.F('valid_from_date')), _connector='OR'), name='payment_level_dates_ordered'),
        ),
        migrations.RunPython(levels_from_free_days, free_days_from_levels),
    ]
