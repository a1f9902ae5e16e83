"""Serve the project under waitress (a production WSGI server) for the benchmark.

python -m bench.serve --port 8765
"""

import argparse
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsunagu.settings")


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)

    from waitress import serve

    from tsunagu.wsgi import application

    serve(application, host="127.0.0.1", port=args.port, threads=args.threads, _quiet=True)


if __name__ == "__main__":
    main()
