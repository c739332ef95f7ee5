"""`trellis serve`: run Trellis under gunicorn (whitenoise serves the static files)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from trellis.demo.generator import demo_logins, format_logins
from trellis.org.management.commands.init import pending_migrations


def _url(bind: str) -> str:
    if bind.startswith(("unix:", "fd://")):
        return bind
    host, _, port = bind.rpartition(":")
    if host in ("", "0.0.0.0", "[::]"):
        host = "127.0.0.1"
    return f"http://{host}:{port}/"


class Command(BaseCommand):
    help = "Serve Trellis over HTTP with gunicorn (Linux and macOS)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--bind", default="127.0.0.1:8000", help="HOST:PORT or unix:PATH (%(default)s)"
        )
        parser.add_argument("--workers", type=int, default=2, help="processes (%(default)s)")
        parser.add_argument(
            "--threads", type=int, default=4, help="threads per process (%(default)s)"
        )
        parser.add_argument(
            "--timeout", type=int, default=60, help="seconds before a stuck worker is restarted"
        )
        parser.add_argument(
            "--no-access-log", action="store_true", help="do not log each request to stdout"
        )
        parser.add_argument(
            "--show-logins",
            action="store_true",
            help="print the address and the demo logins before starting",
        )

    def handle(self, *args, **options) -> None:
        try:
            from gunicorn.app.base import BaseApplication
        except ImportError:  # gunicorn does not run on Windows
            raise CommandError(
                "trellis serve needs gunicorn (Linux or macOS); elsewhere use "
                "`trellis runserver --insecure` for a local trial"
            ) from None
        if options["workers"] < 1 or options["threads"] < 1:
            raise CommandError("--workers and --threads must be at least 1")
        if pending_migrations():
            raise CommandError("the database is not ready: run `trellis init` first")
        if options["show_logins"] and options["verbosity"]:
            self.stdout.write("")
            self.stdout.write(self.style.SUCCESS(f"Trellis is at {_url(options['bind'])}"))
            self.stdout.write("")
            self.stdout.write(format_logins(demo_logins()))
            self.stdout.write("")
            self.stdout.flush()
        # The workers are forked from this process: they must not share its connection.
        connections.close_all()
        settings = {
            "bind": [options["bind"]],
            "workers": options["workers"],
            "threads": options["threads"],
            "worker_class": "gthread" if options["threads"] > 1 else "sync",
            "timeout": options["timeout"],
            "accesslog": None if options["no_access_log"] else "-",
            "errorlog": "-",
            "proc_name": "trellis",
            # gunicorn 24+ opens a control socket in ~/.gunicorn; one per user would make a
            # second instance (or a second user's) collide, and Trellis does not use it.
            "control_socket_disable": True,
        }

        class TrellisServer(BaseApplication):
            def load_config(self) -> None:
                for key, value in settings.items():
                    if key in self.cfg.settings:
                        self.cfg.set(key, value)

            def load(self):
                from trellis.wsgi import application

                return application

        TrellisServer().run()
