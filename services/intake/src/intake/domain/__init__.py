"""Pure logic of intake: no I/O."""
