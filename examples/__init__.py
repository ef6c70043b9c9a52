"""Examples that run: each is tested (see tests/system/test_plugin_example.py)."""
