from django.core.management.base import BaseCommand

from tsunagu.network.loaders import load_reference


class Command(BaseCommand):
    help = "二次医療圏と市区町村を同梱データから読み込みます (何度実行しても同じ結果になります)。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--all-japan",
            action="store_true",
            help="神奈川県だけでなく全国の二次医療圏と市区町村を読み込む",
        )

    def handle(self, *args, all_japan=False, **options):
        for label, result in load_reference(all_japan=all_japan).items():
            self.stdout.write(f"{label}: {result}")
