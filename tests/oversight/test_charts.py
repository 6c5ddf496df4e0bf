"""The dashboard's SVG charts: an empty series is left out and named in a note, a chart
with no values says so, and legend entries never overlap however long their names."""

import re

from django.utils import translation

from oversight.charts import line_chart

LABELS = ["jan 2026", "feb 2026", "mar 2026"]


def _legend(svg):
    return [
        (float(x), name)
        for x, name in re.findall(r'<text x="([\d.]+)" y="232" font-size="12"[^>]*>([^<]+)<', svg)
    ]


def test_an_empty_series_is_left_out_and_named():
    with translation.override("sv"):
        svg = line_chart(
            title="Andel i tid",
            labels=LABELS,
            series=[("Inskrivningsmeddelanden", [50.0, None, 75.0]), ("Kallelser", [None] * 3)],
        )
    assert [name for _x, name in _legend(svg)] == ["Inskrivningsmeddelanden"]
    assert "Kallelser: inga värden i perioden" in svg
    assert svg.count("<circle") == 2


def test_a_chart_without_values_says_so():
    with translation.override("sv"):
        svg = line_chart(title="t", labels=LABELS, series=[("A", [None] * 3)])
    assert "Inga värden i perioden." in svg and "<circle" not in svg


def test_long_legend_names_do_not_overlap():
    names = ["Utskrivningsklara patienter per 1 000 invånare 65+", "Medelantal dagar", "Betalda"]
    svg = line_chart(title="t", labels=LABELS, series=[(n, [1, 2, 3]) for n in names])
    legend = _legend(svg)
    assert [name for _x, name in legend] == names
    for (x1, name1), (x2, _name2) in zip(legend, legend[1:], strict=False):
        assert x2 - x1 >= 7 * len(name1)  # room for the previous name at 12 px
