"""Rules shared by every image the owner uploads (avatar, cover images)."""

from django.core.validators import FileExtensionValidator

IMAGE_EXTENSIONS = ["jpg", "jpeg", "png", "webp", "gif"]
IMAGE_HELP = "JPEG, PNG, WebP or GIF."

validate_image_extension = FileExtensionValidator(allowed_extensions=IMAGE_EXTENSIONS)
