"""Repository-level pytest configuration.

The chaoszone pytest plugin (options, markers, fixtures) arrives with the targets; until
then the test suites configure themselves in tests/conftest.py.
"""
