# SyncRun moved to the portfolio app (portfolio/syncing/ runs every sync, Hub and GitHub):
# only Django's idea of where the model lives changes here; portfolio's 0007 takes the table
# over as it is and renames it. The sync error kinds moved to portfolio/syncing/errors.py,
# with labels that name no single service.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("models_showcase", "0010_markdown_limits"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="SyncRun")],
            database_operations=[],
        ),
        migrations.AlterField(
            model_name="modelcard",
            name="sync_error_kind",
            field=models.CharField(
                blank=True,
                choices=[
                    ("not_found", "Not found (deleted, or private: set the token)"),
                    ("token_rejected", "Token rejected: check HF_TOKEN or GITHUB_TOKEN"),
                    ("disabled", "Disabled or blocked"),
                    ("rate_limited", "Rate limited"),
                    ("server_error", "Server error"),
                    ("timeout", "Timed out"),
                    ("network", "Network unreachable"),
                    ("invalid_response", "Unreadable answer"),
                    ("deadline", "Not reached before --timeout"),
                ],
                editable=False,
                max_length=20,
                verbose_name="sync status",
            ),
        ),
    ]
