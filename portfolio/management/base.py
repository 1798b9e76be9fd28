import argparse

from django.core.management.base import BaseCommand


class DocumentedExitCodesCommand(BaseCommand):
    """A command whose --help ends with `epilog` as written (its exit codes, for cron and scripts)."""

    epilog = ""

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.epilog = self.epilog
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        return parser
