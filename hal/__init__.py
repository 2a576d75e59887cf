"""Hardware abstraction: the only code that touches line cards and the board."""
