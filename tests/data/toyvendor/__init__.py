"""A fifth vendor as a plugin: importing this package registers it (``CONTRACTS_PLUGINS=toyvendor``
or an entry point in the ``contracts.vendors`` group). Nothing under ``src/`` names it."""

from __future__ import annotations

from pathlib import Path

from contracts.vendors import register_vendor

register_vendor("toyvendor", Path(__file__).parent / "toyvendor.yaml",
                invariants="toyvendor.invariants", mock="toyvendor.mock:ToyMock")
