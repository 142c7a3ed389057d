"""Colours, dash types and point types: of backends (any number of them) and of series.

A backend keeps its style on every chart of a run: the known backends have fixed ones,
the others take the next free palette entries in the order the run lists its backends.
"""

# Known backends: colour, gnuplot dash type, point type.
KNOWN_BACKENDS = {
    "mmap": ("#1f77b4", 1, 7),      # blue, solid, filled circle
    "pread": ("#e8731a", 2, 9),     # orange, dashed, filled triangle
    "read": ("#2ca02c", 4, 5),      # green, dash-dot, filled square
    "preadv2": ("#d62728", 5, 13),  # red, dash-dot-dot, filled diamond
    "io_uring": ("#9467bd", 3, 11),  # purple, dotted, filled downward triangle
}
# For other backends, in order, then again from the start.
OTHER_BACKENDS = (("#8c564b", 1, 15), ("#e377c2", 2, 4), ("#17becf", 4, 6),
                  ("#bcbd22", 5, 8), ("#7f7f7f", 3, 10))
# Series that are not backends: runs of a comparison, combinations of swept parameters.
SERIES = ("#1f77b4", "#e8731a", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
          "#7f7f7f", "#bcbd22", "#17becf")


class Palette:
    """The styles of a run's backends, fixed when it is made."""

    def __init__(self, backends):
        self.styles = {}
        others = 0
        for backend in backends:
            if backend in KNOWN_BACKENDS:
                self.styles[backend] = KNOWN_BACKENDS[backend]
            elif backend not in self.styles:
                self.styles[backend] = OTHER_BACKENDS[others % len(OTHER_BACKENDS)]
                others += 1

    def _style(self, backend):
        return self.styles.get(backend) or KNOWN_BACKENDS.get(backend) or OTHER_BACKENDS[0]

    def color(self, backend):
        return self._style(backend)[0]

    def dash(self, backend):
        return self._style(backend)[1]

    def point(self, backend):
        return self._style(backend)[2]


def series_color(index):
    """The colour of the index-th series (0-based) that is not a backend."""
    return SERIES[index % len(SERIES)]
