"""For tools that still run ``python setup.py`` (``scrapyd-deploy`` builds its egg this way).

Everything is declared in ``pyproject.toml``; this only hands over to setuptools.
"""

from setuptools import setup

setup()
