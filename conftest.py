"""Collects the documentation examples (README.md, docs/*.md) as tests: see tests/test_docs.py."""

from tests.support.docs import documentation

pytest_collect_file = documentation().pytest()
