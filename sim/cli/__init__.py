"""The ``sim`` command (``sim.cli.main``) and its experiment commands (``sim.cli.experiments``)."""

from sim.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
