"""IVR: flows of prompts and menus that lead a caller to a destination."""
