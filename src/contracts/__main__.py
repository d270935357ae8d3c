"""``python -m contracts``: the same as the ``contracts`` command."""

from .cli import main

main()
