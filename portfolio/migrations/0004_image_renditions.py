# The avatar's help text says what uploads may now be (25 MB, 50 megapixels) and how they are stored
# (at most 1600 px). No change to the database: renditions are files beside the image (portfolio/renditions.py).

import portfolio.images
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("portfolio", "0003_profile_language"),
    ]

    operations = [
        migrations.AlterField(
            model_name="profile",
            name="avatar",
            field=portfolio.images.SanitizedImageField(
                blank=True,
                help_text="Square picture for the sidebar. JPEG, PNG, WebP or GIF, up to 25 MB and 50 megapixels: "
                "a phone's photo is fine. Stored re-encoded, without metadata, at most 1600 px wide or high.",
                upload_to="profile/",
                verbose_name="avatar",
            ),
        ),
    ]
