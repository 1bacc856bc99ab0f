"""The subcommands of `ganzoo` (`ganzoo.cli`), one module each.

Each module's `add_to(add_command)` declares its subcommand (arguments, help) and
`run(args)` carries it out; `common` holds what several share (loading a run folder
or entry, telling a model's kind, printing a table). Only the standard library is
imported at module level: `ganzoo --help`, `--version` and `list` never import
TensorFlow; each command that needs it imports it when it runs.
"""
