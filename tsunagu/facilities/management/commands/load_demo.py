from django.core.management.base import BaseCommand, CommandError

from tsunagu.facilities.demo import load_demo, login_lines


class Command(BaseCommand):
    help = "神奈川県のデモネットワーク (実在の施設 + 生成した受入れ情報・空き状況・デモ用ログイン) を読み込みます。何度実行しても安全です。"

    def handle(self, *args, **options):
        try:
            ctx = load_demo(out=self.stdout.write)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from None
        for line in login_lines(ctx.logins):
            self.stdout.write(self.style.SUCCESS(line))
