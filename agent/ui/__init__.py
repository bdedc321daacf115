"""What a person sees: the REPL (``repl``), rich tables (``report``) and PNG charts (``plots``)."""
