"""Poem cards: a stored generation drawn as a PNG to share."""
