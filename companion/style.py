"""The course's colours: Okabe and Ito's palette, safe for the common colour-vision deficiencies.

``import companion`` makes them matplotlib's default colour cycle (:func:`use_course_style`),
so every figure a page draws uses them; :mod:`companion.plot` adds a marker per line, so that
no figure relies on colour alone. This module imports matplotlib, not pyplot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import matplotlib
from cycler import cycler

if TYPE_CHECKING:  # matplotlib.typing is newer than the oldest matplotlib the package allows
    from matplotlib.typing import RcKeyType

# Okabe and Ito's colour-blind-safe palette, ordered like the hues of matplotlib's default
# cycle (C0 blue, C1 orange, C2 green, C3 red, C4 purple), so that "C3" still reads as red.
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
MARKS_PER_LINE = 12  # a dense line gets about this many markers, spread along it
COURSE_STYLE: dict[RcKeyType, Any] = {"axes.prop_cycle": cycler(color=COLOURS)}


def use_course_style() -> None:
    """Make :data:`COLOURS` matplotlib's default colour cycle, for every figure drawn after."""
    matplotlib.rcParams.update(COURSE_STYLE)
