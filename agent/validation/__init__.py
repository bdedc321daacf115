"""Patch validation, one concern a module: scratch workspaces and patch application (``workspace``), Java tooling
and subprocesses (``javatools``), the fresh validator (``validate``), the warm server (``warm`` + ``java/``) and the
normalised-patch cache (``cache``)."""
