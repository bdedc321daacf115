"""repairchat agent: the repair loop, bugs, validation, model backends and the CLI.

Importing this package stays light: torch/transformers are imported lazily by the backends that need them.
"""

__version__ = "0.1.0"
