"""The call model: ports, calls, bridges and routes, between signaling and the applications."""
