from django.core.management.commands.flush import Command as DjangoFlushCommand
from django.db import connections

from tsunagu.audit.db import triggers_lifted


class Command(DjangoFlushCommand):
    help = (
        DjangoFlushCommand.help
        + " The audit trail's append-only triggers are lifted for the flush and put back after it."
    )

    def handle(self, **options):
        # Emptying the whole database is maintenance (and what the test suite does between
        # tests); the product itself never deletes audit events.
        with triggers_lifted(connections[options["database"]]):
            return super().handle(**options)
