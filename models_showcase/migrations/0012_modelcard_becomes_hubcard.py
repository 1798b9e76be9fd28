"""Cards for datasets and Spaces beside models: `ModelCard` becomes `HubCard` with a `kind`.

The table keeps its name (`models_showcase_modelcard`) and every row stays a model card
(kind defaults to "model"); `ModelCard`, `DatasetCard` and `SpaceCard` are proxies of it.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("models_showcase", "0011_sync_runs_move_to_portfolio"),
    ]

    operations = [
        # First pin the table's name, so that the rename below renames nothing in the database
        # but the badges' join table (Django names it after the model).
        migrations.AlterModelTable(name="modelcard", table="models_showcase_modelcard"),
        migrations.RenameModel(old_name="ModelCard", new_name="HubCard"),
    ]
