"""The serial console: provision and inspect a box over its UART, with no network."""
