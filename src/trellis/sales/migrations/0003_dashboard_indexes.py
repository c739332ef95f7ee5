from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0002_lead"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(fields=["closed_at"], name="opportunity_closed_idx"),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(fields=["created_at"], name="lead_created_idx"),
        ),
    ]
