"""The simulator's controllers. Each module is one controller; they never import each
other and talk only through the registry and the store's events."""
