from django.core.management.base import BaseCommand, CommandError

from tsunagu.audit.services import Action, record
from tsunagu.ops import backup


class Command(BaseCommand):
    help = "バックアップからデータベース全体を復元します。今のデータはすべて置き換わります(--yes が必要)。"

    def add_arguments(self, parser):
        parser.add_argument("path", help="manage.py backup で作ったファイル")
        parser.add_argument("--yes", action="store_true", help="今のデータを置き換えることを確認しました")
        parser.add_argument("--database", default="default")

    def handle(self, *args, **options):
        if not options["yes"]:
            raise CommandError(
                "復元すると今のデータはすべてバックアップの内容に置き換わります。"
                "サービスと worker を止めてから、--yes をつけて実行してください。"
            )
        digest = backup.sha256(options["path"])
        backup.restore(options["path"], options["database"])
        # Recorded in the restored trail, so the restore itself is never lost.
        record(
            None,
            Action.IMPORT,
            object_type="database",
            object_ref=str(options["path"])[-100:],
            detail={"command": "restore", "sha256": digest},
        )
        self.stdout.write(self.style.SUCCESS(f"復元しました: {options['path']}"))
