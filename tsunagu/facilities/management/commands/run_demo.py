import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tsunagu.facilities.demo import login_lines


class Command(BaseCommand):
    help = "デモ用に Web サーバーとバックグラウンドワーカーを並べて起動します (Ctrl-C で両方止まります)。"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, *args, host, port, **options):
        stopping = []
        # Ctrl-C reaches the whole process group in a terminal; SIGTERM (or an inherited
        # ignored SIGINT) does not, so the children are always stopped explicitly.
        signal.signal(signal.SIGINT, lambda *a: stopping.append(True))
        signal.signal(signal.SIGTERM, lambda *a: stopping.append(True))
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        processes = [
            subprocess.Popen([*manage, "runserver", f"{host}:{port}", "--noreload"]),
            subprocess.Popen([*manage, "run_worker"]),
        ]
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"つなぐ デモ: http://{host}:{port}/"))
        for line in login_lines():
            self.stdout.write(line)
        self.stdout.write("止めるには Ctrl-C を押してください。")
        try:
            while not stopping and all(process.poll() is None for process in processes):
                time.sleep(0.5)
        finally:
            for process in processes:
                if process.poll() is None:
                    process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        failed = [
            code
            for code in (process.returncode for process in processes)
            if code not in (0, -signal.SIGINT, -signal.SIGTERM)
        ]
        if failed and not stopping:
            raise CommandError(f"サーバーまたはワーカーが終了コード {failed} で止まりました。")
