from django.core.management.base import BaseCommand

from tsunagu.audit.services import Action, record
from tsunagu.ops import backup


class Command(BaseCommand):
    help = "データベース全体をバックアップします(SQLite: オンラインバックアップ / PostgreSQL: pg_dump)。"

    def add_arguments(self, parser):
        parser.add_argument("--output", help="書き出すファイル(省略時は var/backups/ に日時つきで作ります)")
        parser.add_argument("--database", default="default")

    def handle(self, *args, **options):
        alias = options["database"]
        path = options["output"] or backup.default_path(alias)
        path = backup.backup(path, alias)
        digest = backup.sha256(path)
        record(
            None,
            Action.EXPORT,
            object_type="database",
            object_ref=path.name,
            detail={"command": "backup", "sha256": digest},
        )
        self.stdout.write(f"{path}\t{path.stat().st_size} bytes\tsha256 {digest}")
