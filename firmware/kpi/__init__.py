"""Call-center figures computed from the queue log: one definition for every report.

The simulator, the daemon's reports and the web UI all read these functions,
so "service level" means the same thing on every page that shows it.
"""
