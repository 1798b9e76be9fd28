# The cover's help text says what uploads may now be (25 MB, 50 megapixels) and how they are stored
# (at most 1600 px). No change to the database: renditions are files beside the image (portfolio/renditions.py).

import portfolio.images
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("models_showcase", "0007_sync_runs"),
    ]

    operations = [
        migrations.AlterField(
            model_name="modelcard",
            name="cover_image",
            field=portfolio.images.SanitizedImageField(
                blank=True,
                help_text="Optional picture at the top of the card. JPEG, PNG, WebP or GIF, up to 25 MB and 50 "
                "megapixels: a phone's photo is fine. Stored re-encoded, without metadata, at most 1600 px wide or "
                "high.",
                upload_to="covers/",
                verbose_name="cover image",
            ),
        ),
    ]
