"""A flame graph of folded stacks as inline SVG (report.html), drawn here: Debian 12
packages no flame graph tool (apt-cache search flamegraph finds none).

Each frame is a box as wide as its share of the samples, its callers below it (the root at
the bottom), siblings in alphabetical order, as Brendan Gregg's flamegraph.pl draws them.
Off-CPU stacks ([off-cpu], [preempted] first) count in sampling periods, as the folded
file has them, and are drawn blue; the others take warm colours from their names. Every
string in it comes from a results file: each is cleaned (text.clean) and escaped
(html.escape) in text and attributes alike; the SVG holds no script and no link.
"""
import collections
import hashlib
import html

from . import text as tx

WIDTH_PX = 1200
FRAME_PX = 16           # height of a frame's box
MIN_BOX_PX = 0.3        # narrower frames are left out (and said so)
CHAR_PX = 6.6           # the box labels' font, 11 px
MAX_FRAMES_DRAWN = 20000  # boxes at most, whatever the file holds
OFFCPU_ROOTS = ("[off-cpu]", "[preempted]")


class Frame:
    """A node of the call tree: its samples (its own and its callees') and callees."""
    __slots__ = ("name", "count", "children")

    def __init__(self, name):
        self.name, self.count, self.children = name, 0, {}


def call_tree(stacks):
    """The root Frame of stacks [(frames root first, count)]."""
    root = Frame("all")
    for frames, count in stacks:
        root.count += count
        node = root
        for name in frames:
            node = node.children.setdefault(name, Frame(name))
            node.count += count
    return root


def warm_color(name, offcpu):
    """A colour for a frame: from its name (the same frame, the same colour), blue for
    off-CPU time."""
    digest = hashlib.blake2s(name.encode("utf-8", "replace"), digest_size=3).digest()
    if offcpu:
        return f"rgb({60 + digest[0] % 60},{110 + digest[1] % 60},{190 + digest[2] % 60})"
    return f"rgb({205 + digest[0] % 50},{80 + digest[1] % 130},{30 + digest[2] % 40})"


def attr(text):
    return html.escape(tx.clean(text), quote=True)


def label(name, width_px):
    """The part of name that fits in a box width_px wide ('' when even '..' does not)."""
    fits = int((width_px - 4) / CHAR_PX)
    if fits >= len(name):
        return name
    return name[:fits - 2] + ".." if fits >= 3 else ""


def flame_svg(stacks, unit, title):
    """SVG markup of the flame graph of stacks; unit says what a count is ('samples')."""
    root = call_tree(stacks)
    if root.count == 0:
        return ""
    scale = WIDTH_PX / root.count
    boxes, hidden, depth = [], 0, 0
    # Breadth first from the root: (frame, x in counts, level, off-CPU).
    queue = collections.deque([(root, 0, 0, False)])
    while queue:
        node, x, level, offcpu = queue.popleft()
        width = node.count * scale
        if width < MIN_BOX_PX or len(boxes) >= MAX_FRAMES_DRAWN:
            hidden += 1
            continue
        boxes.append((node, x, level, offcpu))
        depth = max(depth, level)
        at = x
        for name in sorted(node.children):
            child = node.children[name]
            queue.append((child, at, level + 1, offcpu or (level == 0 and name in
                                                            OFFCPU_ROOTS)))
            at += child.count
    height = (depth + 1) * FRAME_PX + 40
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH_PX}" height="{height}" '
           f'viewBox="0 0 {WIDTH_PX} {height}" font-family="DejaVu Sans, sans-serif" '
           f'font-size="11" role="img" aria-label="{attr(title)}">',
           f'<text x="{WIDTH_PX / 2:.0f}" y="16" text-anchor="middle" font-size="13">'
           f'{attr(title)}</text>']
    for node, x, level, offcpu in boxes:
        left, width = x * scale, node.count * scale
        top = height - (level + 1) * FRAME_PX - 4
        share = 100.0 * node.count / root.count
        tip = f"{node.name} ({node.count} {unit}, {share:.2f}%)"
        color = "rgb(230,230,230)" if level == 0 else warm_color(node.name, offcpu)
        out.append(f'<g><title>{attr(tip)}</title><rect x="{left:.2f}" y="{top}" '
                   f'width="{max(width - 0.5, 0.1):.2f}" height="{FRAME_PX - 1}" '
                   f'fill="{color}" rx="2"/>')
        text = label(node.name if level else f"all ({root.count} {unit})", width)
        if text:
            out.append(f'<text x="{left + 3:.2f}" y="{top + FRAME_PX - 4}">{attr(text)}'
                       f'</text>')
        out.append("</g>")
    if hidden:
        out.append(f'<text x="4" y="32" font-size="11">{hidden} frame(s) narrower than '
                   f'{MIN_BOX_PX} px (with their callees) not drawn</text>')
    out.append("</svg>")
    return "\n".join(out)
