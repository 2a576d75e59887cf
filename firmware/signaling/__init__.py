"""Line protocol machines as sans-I/O code: events and time in, actions out.

Nothing here touches a socket, a thread or the clock, so every branch can be
driven from a test by passing times, and fuzzed with random line input.
"""
