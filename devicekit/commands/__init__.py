"""Sub-commands of the ``devicekit`` command line, one module per family."""
