"""Command-line interface: ``vhdr SUBCOMMAND``; one module per sub-command."""
