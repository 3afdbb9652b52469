# `scrapyd-deploy` builds its egg with `python setup.py bdist_egg`: with this file it
# builds from pyproject.toml, instead of writing a setup.py of its own into the checkout.
from setuptools import setup

setup()
