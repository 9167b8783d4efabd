"""The shared chart code path: safe inline SVG plus a text table."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from controlpanel.charts import bar_chart, line_chart

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def test_line_chart_is_inline_safe_svg_with_a_view_box():
    chart = line_chart(title="Requests", series={"2xx": [(T0 + timedelta(hours=i), i * 10) for i in range(24)]})
    svg = str(chart.svg)
    assert svg.startswith("<svg") and 'viewBox="0 0 800 300"' in svg
    assert "<script" not in svg and "<style" not in svg and "style=" not in svg
    assert "href" not in svg
    assert svg.replace('xmlns="http://www.w3.org/2000/svg"', "").count("http") == 0
    assert 'role="img"' in svg and "width=" not in svg.split(">", 1)[0]


def test_chart_table_is_the_text_alternative():
    chart = line_chart(title="Latency", series={"p50": [(T0, 10.0), (T0 + timedelta(hours=1), 12.5)],
                                                "p95": [(T0, 40.0)]})
    assert chart.table.headers == ["", "p50", "p95"]
    assert chart.table.rows == [["00:00", "10", "40"], ["01:00", "12.50", "—"]]
    assert "p50: 10 to 12.50" in chart.summary


def test_data_in_titles_and_labels_is_escaped():
    chart = bar_chart(title="<b>bold</b>", series={"<script>x</script>": [("<img src=x>", 3)]})
    assert "<script>x" not in chart.svg and "<img" not in chart.svg and "<b>" not in chart.svg
    assert "&lt;img src=x&gt;" in chart.svg


def test_bar_chart_keeps_label_order_and_empty_values():
    chart = bar_chart(title="Usage", series={"Requests": [("auth", 5), ("lessons", 9), ("search", None)]})
    assert [row[0] for row in chart.table.rows] == ["auth", "lessons", "search"]
    assert chart.table.rows[2] == ["search", "—"]


def test_empty_chart_says_so():
    chart = line_chart(title="Nothing", series={})
    assert "No data for this period" in chart.svg
    assert chart.table.rows == []


def test_chart_renders_in_a_template_as_its_svg():
    from django.template import Context, Template

    chart = bar_chart(title="T", series={"a": [("x", 1)]})
    assert Template("{{ chart }}").render(Context({"chart": chart})).startswith("<svg")


def _texts(svg: str) -> list[str]:
    import re

    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def test_counts_get_whole_number_ticks():
    chart = line_chart(title="Logins", series={"n": [(T0 + timedelta(hours=i), v) for i, v in enumerate([0, 1, 3, 2])]})
    ticks = [t for t in _texts(chart.svg) if t.replace(",", "").isdigit() or "." in t]
    assert ticks and all("." not in t for t in ticks)


def test_a_count_per_day_is_drawn_as_bars_not_a_line():
    days = [(T0.date() + timedelta(days=i), i % 3) for i in range(7)]
    chart = line_chart(title="Lessons per day", series={"Lessons": days})
    assert chart.svg.count("<rect") >= 4 and "<path d=\"M" in chart.svg  # bars, plus the grid
    assert 'stroke-width="2"' not in chart.svg  # no line drawn through the days


def test_time_labels_are_thinned_to_what_fits_the_width():
    points = [(T0 + timedelta(minutes=10 * i), i) for i in range(144)]
    chart = line_chart(title="A day", series={"n": points})
    wide = [t for t in _texts(chart.svg) if ":" in t]
    narrow = [t for t in _texts(chart.svg_narrow) if ":" in t]
    assert 2 <= len(narrow) <= 4 < len(wide) <= 10


def test_every_chart_has_a_phone_layout_with_larger_text():
    chart = bar_chart(title="Usage", series={"Requests": [("auth", 5), ("lessons", 9)]})
    assert 'viewBox="0 0 320 ' in chart.svg_narrow and 'font-size="13"' in chart.svg_narrow
    assert 'class="chart chart-narrow"' in chart.svg_narrow and 'class="chart chart-wide"' in chart.svg


def test_long_category_names_get_horizontal_bars_with_every_name_written():
    names = [f"Category number {i}" for i in range(8)]
    chart = bar_chart(title="Completions", series={"n": [(name, i) for i, name in enumerate(names)]})
    for svg in (chart.svg, chart.svg_narrow):
        assert all(name in _texts(svg) for name in names)


def test_a_chart_of_zeros_is_empty():
    assert line_chart(title="z", series={"a": [(T0, 0), (T0 + timedelta(hours=1), 0)]}).empty
    assert not line_chart(title="z", series={"a": [(T0, 0), (T0 + timedelta(hours=1), 2)]}).empty


TEMPLATE_TABLE = (  # the figures table as the chart partial wrote it with template loops
    '<thead><tr>{% for header in table.headers %}<th scope="col">{{ header|default:"—" }}</th>{% endfor %}</tr></thead>'
    '<tbody>{% for row in table.rows %}<tr>{% for cell in row %}{% if forloop.first %}<th scope="row">{{ cell }}</th>'
    '{% else %}<td class="num">{{ cell }}</td>{% endif %}{% endfor %}</tr>{% endfor %}</tbody>'
)

cell_text = st.text(alphabet=st.sampled_from('ab 1<>&"\'—'), max_size=6)


@settings(max_examples=100)
@given(st.lists(cell_text, max_size=4), st.lists(st.lists(cell_text, max_size=4), max_size=5))
def test_the_figures_table_is_the_markup_the_template_loops_made(headers, rows):
    from django.template import Context, Template

    from controlpanel.charts import ChartTable

    table = ChartTable(headers=headers, rows=rows)
    assert str(table.html()) == Template(TEMPLATE_TABLE).render(Context({"table": table}))
