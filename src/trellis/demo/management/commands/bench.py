"""`trellis bench <name> [args]`: run bench/<name>.py from the source checkout."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

import trellis


def _bench_dir() -> Path:
    for candidate in (Path.cwd() / "bench", Path(trellis.__file__).resolve().parents[2] / "bench"):
        if (candidate / "__init__.py").exists():
            return candidate
    raise CommandError("bench/ not found: run `trellis bench` from the Trellis source checkout")


class Command(BaseCommand):
    help = "Run a benchmark from bench/ (e.g. `trellis bench access`)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="benchmark module in bench/, e.g. access")
        parser.add_argument(
            "bench_args", nargs=argparse.REMAINDER, help="arguments for the benchmark"
        )

    def handle(self, *args, **options) -> None:
        bench = _bench_dir()
        sys.path.insert(0, str(bench.parent))
        try:
            module = importlib.import_module(f"bench.{options['name']}")
        except ModuleNotFoundError as exc:
            raise CommandError(f"no benchmark named {options['name']!r} in {bench}") from exc
        module.run(options["bench_args"], out=self.stdout.write)
