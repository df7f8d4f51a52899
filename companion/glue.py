"""Hand a number that a cell computed to the page's prose.

A page writes ``glue("best_loss", float(loss), display=False)`` in a code cell and
``{glue:text}`best_loss:.3f``` in its text. When Jupyter Book builds the book, myst-nb fills
the text with the value. A notebook run outside the book (Colab, Binder, a download) has no
myst-nb and no way to fill its text: there :func:`glue` prints ``best_loss = 0.4121`` under
the cell, and the notebook's text names the value ``best_loss``.
"""

from __future__ import annotations

import numbers


def glue(name: str, value: object, display: bool = True) -> None:
    """Record ``value`` under ``name`` for the text of the page (myst-nb's ``glue``).

    Args:
        name: the key the text refers to, e.g. ``"best_loss"``.
        value: what the cell computed; give plain Python numbers (``float(x)``), not NumPy
            scalars, whose representation the book's text cannot format.
        display: also show the value as the cell's output (in the book).
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"glue: name must be a non-empty string, got {name!r}")
    try:
        from myst_nb import glue as myst_nb_glue
    except ImportError:
        print(f"{name} = {_short(value)}")
        return
    myst_nb_glue(name, value, display=display)


def _short(value: object) -> str:
    """A readable form of ``value``: floats to six significant digits."""
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        return f"{float(value):.6g}"
    return str(value)
