"""Test helpers shipped with the package: a local stand-in for the Hugging Face Hub (:mod:`.hub_server`)."""

from __future__ import annotations

from comsamy.testing.hub_server import HubServer

__all__ = ["HubServer"]
