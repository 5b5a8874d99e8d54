"""Repository-level pytest configuration: registers chaoszone's pytest plugin, once.

The plugin gives experiments/ its options (--chaoszone-*), the ``chaoszone`` marker and the
``cluster`` and ``namespace`` fixtures. tests/ defines fixtures of its own with some of
the same names (``namespace``, and ``cluster`` in tests/scenarios); pytest lets the
closer conftest's fixture override the plugin's there.
"""

pytest_plugins = ["chaoszone.pytest_plugin"]
