"""Automatic call distribution: agents, queues and the strategies that match them."""
