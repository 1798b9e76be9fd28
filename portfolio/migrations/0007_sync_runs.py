# SyncRun, moved from models_showcase: the same table and rows, renamed portfolio_syncrun, with
# the sync it belongs to (`kind`; every existing run was a Hub sync) and its items named for any
# sync (`items`, and "item" in the recorded errors and warnings, where Hub runs said "repo_id").

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def rename_keys(apps, schema_editor, old="repo_id", new="item"):
    SyncRun = apps.get_model("portfolio", "SyncRun")
    for run in SyncRun.objects.all():
        errors = [{(new if key == old else key): value for key, value in entry.items()} for entry in run.errors]
        warnings = [{(new if key == old else key): value for key, value in entry.items()} for entry in run.warnings]
        SyncRun.objects.filter(pk=run.pk).update(errors=errors, warnings=warnings)


def rename_keys_back(apps, schema_editor):
    rename_keys(apps, schema_editor, old="item", new="repo_id")


class Migration(migrations.Migration):
    dependencies = [
        ("portfolio", "0006_markdown_limits"),
        ("models_showcase", "0011_sync_runs_move_to_portfolio"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SyncRun",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("repo_ids", models.JSONField(default=list, verbose_name="items")),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("queued", "Queued"),
                                    ("running", "Running"),
                                    ("done", "Done"),
                                    ("failed", "Failed"),
                                ],
                                default="queued",
                                max_length=10,
                                verbose_name="status",
                            ),
                        ),
                        (
                            "queued_at",
                            models.DateTimeField(
                                db_index=True, default=django.utils.timezone.now, verbose_name="queued"
                            ),
                        ),
                        ("started_at", models.DateTimeField(null=True, verbose_name="started")),
                        ("finished_at", models.DateTimeField(null=True, verbose_name="finished")),
                        ("total", models.PositiveIntegerField(default=0, verbose_name="items to sync")),
                        ("done", models.PositiveIntegerField(default=0, verbose_name="items done")),
                        ("synced_count", models.PositiveIntegerField(default=0, verbose_name="synced")),
                        ("unchanged_count", models.PositiveIntegerField(default=0, verbose_name="unchanged")),
                        ("failed_count", models.PositiveIntegerField(default=0, verbose_name="failed")),
                        ("warning_count", models.PositiveIntegerField(default=0, verbose_name="warnings")),
                        ("summary", models.CharField(blank=True, max_length=500, verbose_name="summary")),
                        ("errors", models.JSONField(blank=True, default=list, verbose_name="errors")),
                        ("warnings", models.JSONField(blank=True, default=list, verbose_name="warnings")),
                        (
                            "started_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="started by",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "sync run",
                        "verbose_name_plural": "sync runs",
                        "ordering": ["-queued_at", "-pk"],
                        "db_table": "models_showcase_syncrun",
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="syncrun", table=None),
        migrations.RenameField(model_name="syncrun", old_name="repo_ids", new_name="items"),
        migrations.AddField(
            model_name="syncrun",
            name="kind",
            field=models.CharField(
                choices=[("sync_hub", "Hub sync"), ("sync_github", "GitHub sync")],
                default="sync_hub",
                max_length=20,
                verbose_name="sync",
            ),
        ),
        migrations.RunPython(rename_keys, rename_keys_back),
    ]
