"""Pure materials-verification logic: no I/O, no framework imports."""
