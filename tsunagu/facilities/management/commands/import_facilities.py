from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tsunagu.facilities.importers import Format, ImportFailed, import_facilities

PHASES = {"validate": "確認中", "write": "書き込み中"}


class Command(BaseCommand):
    help = (
        "医療情報ネット (iryojoho) または介護サービス情報公表 (kaigo) の CSV から施設を取り込みます。"
        "誤りが1行でもあれば何も取り込みません。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--format", required=True, choices=[value for value, _ in Format.CHOICES], help="ファイルの形式"
        )
        parser.add_argument("file", help="CSV ファイル (UTF-8 / BOM付きUTF-8 / Shift_JIS)")
        parser.add_argument("--dry-run", action="store_true", help="確認だけして書き込まない")

    def handle(self, *args, file, format, dry_run=False, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"ファイル {file} が見つかりません。")
        verbosity = options.get("verbosity", 1)

        def progress(phase, done, total):
            if verbosity >= 1:
                self.stdout.write(f"  {PHASES[phase]} {done}/{total}")

        try:
            report = import_facilities(path.read_bytes(), format, dry_run=dry_run, progress=progress)
        except ImportFailed as exc:
            for error in exc.report.errors:
                self.stderr.write(f"  {error}")
            if exc.report.error_count > len(exc.report.errors):
                self.stderr.write(f"  ほか {exc.report.error_count - len(exc.report.errors)} 件")
            raise CommandError(f"{path.name}: {exc.report.summary()}") from None
        self.stdout.write(self.style.SUCCESS(f"{path.name}: {report.summary()}"))
