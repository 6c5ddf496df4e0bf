"""Server-rendered SVG charts for the dashboard: no JavaScript, no CDN.

A chart is decoration of the table under it (which holds the same numbers and is
what screen readers and the CSV export use); the SVG carries a <title> and <desc>.
"""

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

COLOURS = ["#0b57a4", "#b45309", "#15803d", "#7c3aed"]
WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 48
LEGEND_CHAR_WIDTH = 7  # px per character of a 12 px legend name (generous)


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000):
        if value <= step:
            return float(step)
    return float(value)


def line_chart(
    *, title: str, labels: list[str], series: list[tuple[str, list]], y_max=None, unit: str = ""
) -> str:
    """Lines over ``labels`` (months); a None value leaves a gap. ``series`` is a list
    of (name, values). A series without a single value is left out of the lines and
    the legend and named in a note; with no values at all the chart says so. Legend
    entries are placed by the length of their names, so they never overlap. Returns
    safe SVG markup."""
    empty = [name for name, vs in series if all(v is None for v in vs)]
    series = [(name, vs) for name, vs in series if name not in empty]
    values = [v for _name, vs in series for v in vs if v is not None]
    top = float(y_max) if y_max is not None else _nice_max(max(values, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = max(len(labels), 1)

    def x(i):
        return LEFT + (plot_w * (i + 0.5) / n)

    def y(v):
        return TOP + plot_h - (plot_h * min(v, top) / top if top else 0)

    parts = [
        f'<svg class="kb-chart" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'xmlns="http://www.w3.org/2000/svg" width="100%" preserveAspectRatio="xMinYMin meet">',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(', '.join(name for name, _v in series))}</desc>",
    ]
    notes = [_("%(name)s: no values in the period") % {"name": name} for name in empty]
    if not series:
        notes = [_("No values in the period."), *notes]
    for fraction in (0, 0.25, 0.5, 0.75, 1):
        gy = TOP + plot_h - plot_h * fraction
        label = f"{top * fraction:g}{unit}"
        parts.append(
            f'<line x1="{LEFT}" y1="{gy:.1f}" x2="{WIDTH - RIGHT}" y2="{gy:.1f}" '
            f'stroke="#d9d9de" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{gy + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="#55555c">{escape(label)}</text>'
        )
    step = max(1, n // 12)
    for i, label in enumerate(labels):
        if i % step == 0:
            parts.append(
                f'<text x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 16}" font-size="11" '
                f'text-anchor="middle" fill="#55555c">{escape(label)}</text>'
            )
    legend_x = LEFT
    for index, (name, vs) in enumerate(series):
        colour = COLOURS[index % len(COLOURS)]
        segment = []
        for i, v in enumerate(vs):
            if v is None:
                if len(segment) > 1:
                    parts.append(_polyline(segment, colour))
                segment = []
                continue
            segment.append((x(i), y(v)))
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}">'
                f"<title>{escape(name)} {escape(labels[i])}: {v:g}{escape(unit)}</title></circle>"
            )
        if len(segment) > 1:
            parts.append(_polyline(segment, colour))
        parts.append(
            f'<rect x="{legend_x}" y="{HEIGHT - 18}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{legend_x + 16}" y="{HEIGHT - 8}" font-size="12" fill="#1d1d1f">'
            f"{escape(name)}</text>"
        )
        legend_x += 16 + LEGEND_CHAR_WIDTH * len(name) + 24
    for number, note in enumerate(notes):
        parts.append(
            f'<text x="{LEFT + 8}" y="{TOP + 16 + 16 * number}" font-size="12" '
            f'fill="#55555c">{escape(note)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every text above is escaped)


def _polyline(points, colour) -> str:
    coords = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
    return f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"/>'
