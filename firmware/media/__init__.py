"""Audio of the box: G.711 frames in, DSP over every channel at once, G.711 frames out.

Every 20 ms :class:`~firmware.media.engine.MediaEngine` takes the frames of all
ports as one numpy array, detects DTMF and caller ID, plays tones, prompts and
digits, carries two-party bridges, and hands back the events of that tick.
"""
