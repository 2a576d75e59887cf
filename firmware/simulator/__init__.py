"""The call-center simulator: the real ACD decision code against a simulated world.

A scenario (agents, queues, inbound traffic) runs on a virtual clock with no
audio, so a technician can see what a staffing plan does to the service level
before the first caller waits.
"""
