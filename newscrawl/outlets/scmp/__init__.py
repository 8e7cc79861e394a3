"""The South China Morning Post: registry entry (``outlet``), listings (``listing``) and the
versioned article parser (``parser``). Everything SCMP-specific lives in this package."""

from newscrawl.outlets.scmp.outlet import SCMP

__all__ = ["SCMP"]
