"""Command-line entry points: thin layers over the library that map ComsamyError to exit codes."""
