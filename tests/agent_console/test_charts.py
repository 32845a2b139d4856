"""Server-side SVG charts: bars scale to the largest value, gaps stay gaps, labels are escaped."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from agent_console import charts

SVG = "{http://www.w3.org/2000/svg}"


def _widths(svg: str) -> list[float]:
    return [float(rect.get("width")) for rect in ET.fromstring(svg).iter(f"{SVG}rect")]


def test_bars_scale_to_the_largest_value_and_none_is_a_dash():
    svg = charts.bar_chart([charts.Bar("甲", 10), charts.Bar("乙", 5), charts.Bar("丙", None)], "受理量")
    wide, half = _widths(svg)
    assert abs(half * 2 - wide) < 0.2
    assert "—" in svg and "丙" in svg


def test_bars_against_a_fixed_maximum():
    (width,) = _widths(charts.bar_chart([charts.Bar("甲", 50)], "满意率", "%", maximum=100, width=640))
    assert abs(width - (640 - 190 - 70) / 2) < 0.2


def test_labels_are_escaped_and_the_svg_parses():
    svg = charts.bar_chart([charts.Bar("<script>x</script>", 1)], "a & b")
    ET.fromstring(svg)
    assert "<script>" not in svg


def test_line_chart_leaves_gaps_for_months_without_a_figure():
    svg = charts.line_chart(["01", "02", "03"], [charts.Series("满意率", (80.0, None, 90.0))], "趋势", "%")
    (polyline,) = ET.fromstring(svg).iter(f"{SVG}polyline")
    assert len(polyline.get("points").split()) == 2


def test_heat_map_shades_by_count():
    svg = charts.heat_map(["园岭", "南园"], ["噪声", "路灯"], [[4, 0], [2, 1]], "热力图")
    fills = re.findall(r'fill="(rgba[^"]+|#f3f4f6)"', svg)
    assert fills[0].endswith("0.93)") and fills[1] == "#f3f4f6"


def _axis(svg: str) -> list[str]:
    return [t.text for t in ET.fromstring(svg).iter(f"{SVG}text") if t.get("text-anchor") == "end"]


def test_an_empty_or_all_zero_line_chart_has_a_readable_axis():
    zeros = charts.line_chart(["01", "02"], [charts.Series("受理量", (0.0, 0.0))], "受理量")
    assert _axis(zeros) == ["0", "1", "2", "3", "4"]  # was five zeros
    rates = charts.line_chart(["01", "02"], [charts.Series("满意率", (None, None))], "趋势", "%", maximum=100)
    assert _axis(rates) == ["0%", "25%", "50%", "75%", "100%"]


def test_long_english_labels_widen_the_label_column_and_are_cut_not_clipped():
    """English bureau names ran off the chart's left edge (ent and Law Enforcement Bureau)."""
    long = "District Urban Management and Law Enforcement Bureau"
    svg = charts.bar_chart([charts.Bar(long, 4), charts.Bar("Not dispatched", 1)], "Received")
    root = ET.fromstring(svg)
    labels = [t for t in root.iter(f"{SVG}text") if t.get("class") == "chart-label"]
    x = float(labels[0].get("x"))
    assert 190 < x <= 300 and labels[0].text.endswith("…") and long.startswith(labels[0].text[:-1])
    assert charts.text_width(labels[0].text) <= x - 8  # drawn right-aligned at x: starts inside the chart
    assert labels[1].text == "Not dispatched"
    assert any(t.text.startswith(long) for t in root.iter(f"{SVG}title"))  # the whole name on hover
    chinese = charts.bar_chart([charts.Bar("区城市管理和综合执法局", 4)], "受理量")
    assert "区城市管理和综合执法局<" in chinese and 'x="182"' in chinese  # short names keep the 190 px column
