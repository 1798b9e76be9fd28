from django.core.management.base import BaseCommand

from portfolio.demo import has_content, load_demo


class Command(BaseCommand):
    help = (
        "Load the demo content (the seed portfolio page). Adds only what is missing: "
        "existing records, edited or not, are never changed or deleted."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing if the site already has any content (used by `make run`).",
        )

    def handle(self, *args, if_empty, verbosity, **options):
        if if_empty and has_content():
            self.stdout.write("The site already has content; demo content not loaded.")
            return
        report = load_demo()
        if verbosity >= 2:
            for label in report.created:
                self.stdout.write(f"  created {label}")
            for label in report.kept:
                self.stdout.write(f"  kept    {label}")
        self.stdout.write(self.style.SUCCESS(f"Demo content: {report}."))
