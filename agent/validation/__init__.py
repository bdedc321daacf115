"""Patch validation, one step a module: build settings per bug (``settings``), test discovery by the build's
patterns and JUnit's rules (``discovery``), the bug pre-flight (``preflight``), class-level test selection
(``selection``), scratch workspaces and patch application (``workspace``), Java tooling and the one subprocess
runner (``javatools``), candidate preparation and the fresh validator (``validate``), the warm server (``warm`` +
``java/``) and the normalised-patch cache (``cache``)."""
