"""Diagrams of the book, drawn by code with matplotlib so that every one is reproducible.

One module per family of pictures; each ``draw_*`` function takes ``ax=None`` (a new figure
is made), draws in the shared style of :mod:`companion.diagrams._draw`, and returns the
``Axes``. Pages import the function they need, e.g.
``from companion.diagrams.unrolled import draw_unrolled``.
"""
