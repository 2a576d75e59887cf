"""ISDN PRI: Q.921 and Q.931 joined into one D-channel, and the ``pri-dut`` test shell."""
