"""The simulator's HTTP layer."""
