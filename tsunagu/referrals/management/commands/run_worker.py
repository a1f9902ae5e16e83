import signal

from django.core.management.base import BaseCommand

from tsunagu.lib.worker import run_forever, run_once


class Command(BaseCommand):
    help = "背景処理 (期限切れ、リマインダー、メール、取込み) を実行し続けます。"

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="1回だけ実行して終了します。")
        parser.add_argument("--interval", type=float, default=5.0, help="仕事がないときの待ち秒数")

    def handle(self, *args, once=False, interval=5.0, **options):
        if once:
            for task, count in run_once().items():
                self.stdout.write(f"{task}: {count}")
            return
        stopping = []
        signal.signal(signal.SIGTERM, lambda *a: stopping.append(True))
        signal.signal(signal.SIGINT, lambda *a: stopping.append(True))
        self.stdout.write("worker started")
        run_forever(interval, should_stop=lambda: bool(stopping))
