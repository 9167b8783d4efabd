"""Highlighting marks whole words; snippets keep headings apart from the prose."""

from hypothesis import example, given, settings
from hypothesis import strategies as st

from search import selectors, text
from tests.search.factories import LessonFactory


def test_whole_words_are_highlighted_never_part_of_a_word():
    assert text.highlight("Shadows and a shadow", ("shadow",)) == "<mark>Shadows</mark> and a <mark>shadow</mark>"
    assert text.highlight("Watercolour wheel", ("colour",)) == "<mark>Watercolour</mark> wheel"


def test_highlighting_ignores_case_even_where_lower_case_is_longer():
    assert text.highlight("SHADOW side", ("shadow",)) == "<mark>SHADOW</mark> side"
    # "İ" lower-cases to two characters: the marks still land on the words of the text as written.
    assert text.highlight("İİİİİİİİİİ Shadow tail", ("shadow",)) == "İİİİİİİİİİ <mark>Shadow</mark> tail"


def test_a_stem_of_the_query_word_is_highlighted_whole():
    assert text.highlight("Cast shadow", ("shadows",)) == "Cast <mark>shadow</mark>"
    assert text.highlight("A cat sat", ("shadows",)) == "A cat sat"


def test_the_word_a_typo_matched_is_highlighted(db, category):
    LessonFactory(slug="perspective", title="Two-point perspective", category=category)
    [hit] = selectors.search_execute(query="perspektive", turbo=True).items
    assert str(hit.title_html) == "Two-point <mark>perspective</mark>"


def test_a_snippet_from_the_body_never_runs_a_heading_into_the_prose():
    body = "## Objective\n\nMix a wheel.\n\n## Steps\n\n1. Paint the shadow side first.\n2. Let it dry."
    snippet = text.lesson_snippet("A short lesson.", body, ("shadow",))
    assert snippet == "Paint the <mark>shadow</mark> side first. Let it dry."
    assert "Steps" not in snippet and "Objective" not in snippet


def test_a_match_in_a_heading_labels_its_section():
    body = "## Shadow shapes\n\nLook for the darkest shapes.\n\n## Steps\n\nDraw them."
    assert text.lesson_snippet("A short lesson.", body, ("shadow",)) == \
        "<mark>Shadow</mark> shapes: Look for the darkest shapes."


def test_the_summary_is_the_snippet_when_it_matches():
    assert text.lesson_snippet("Soft shadows at dusk.", "## Steps\n\nshadow", ("shadow",)) == \
        "Soft <mark>shadows</mark> at dusk."


def test_readable_text_drops_block_marks_at_line_starts_and_keeps_dashes_in_prose():
    markdown = "Mix light - dark in 3. steps,\n- paint *it* **thin**\n  > 2. then `dry` it\n+ done #1"
    assert text.markdown_text(markdown) == "Mix light - dark in 3. steps, paint it thin then dry it done #1"


def eager_snippet(summary: str, body: str, words: tuple[str, ...]) -> str:
    """The snippet rule with every paragraph made readable first: what the quick test must never change."""
    if not words or text._spans(summary, words, first=True):
        return text.snippet(summary, words)
    blocks = [(heading, "" if markdown is None else text.markdown_text(markdown))
              for heading, markdown in text.sections(body)]
    for n, (heading, paragraph) in enumerate(blocks):
        if paragraph and text._spans(paragraph, words, first=True):
            return text.snippet(paragraph, words)
        if not paragraph and heading and text._spans(heading, words, first=True):
            return text.snippet(next((p for _, p in blocks[n + 1:] if p), ""), words, label=heading)
    return text.snippet(summary or next((p for _, p in blocks if p), ""), words)


# Pieces that make words across emphasis, links and headings ("c*olour", "[c](x)olour", "# colour").
markdown_pieces = st.sampled_from(["c", "olour", "colour", "*", "_", "`", "[c](x)", "](", "# ", "- ", " ", "\n",
                                   "\n\n", "shade", "s"])


@settings(max_examples=300)
@example("c*olour", "A short lesson.", ("colour",))
@example("[c](x)olour", "A short lesson.", ("colour",))
@given(st.lists(markdown_pieces, max_size=30).map("".join),
       st.sampled_from(["A short lesson.", "", "Shade and colour."]) | st.lists(markdown_pieces, max_size=6).map("".join),
       st.sampled_from([("colour",), ("shade",), ("col", "shades"), ("our",)]))
def test_the_quick_paragraph_test_never_changes_a_snippet(body, summary, words):
    assert text.lesson_snippet(summary, body, words) == eager_snippet(summary, body, words)
