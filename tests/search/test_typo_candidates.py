"""Typo candidates: the pieces a word is cut into leave one intact in every word within reach (property-based).

``near_words`` only weighs the catalog words that start with the head, end with the tail or
contain a middle piece of :func:`search.backends.typo_pieces`; a word one edit away (insert,
delete, substitute or swap two neighbours), or two edits away with at most one swap, must
keep one of them, or typo tolerance would miss it.
"""

from hypothesis import given
from hypothesis import strategies as st

from search.backends import MIN_TRIGRAM, typo_pieces

words = st.text(alphabet="abcdefgh", min_size=4, max_size=16)


@st.composite
def edited(draw, word: str, swaps_allowed: bool):
    kind = draw(st.sampled_from(["insert", "delete", "substitute", *(["swap"] if swaps_allowed else [])]))
    at = draw(st.integers(min_value=0, max_value=len(word) - (2 if kind == "swap" else 1)))
    letter = draw(st.sampled_from("abcdefghxyz"))
    if kind == "insert":
        return word[:at] + letter + word[at:]
    if kind == "delete":
        return word[:at] + word[at + 1:]
    if kind == "substitute":
        return word[:at] + letter + word[at + 1:]
    return word[:at] + word[at + 1] + word[at] + word[at + 2:]


def keeps_a_piece(word: str, limit: int, other: str) -> bool:
    head, middle, tail = typo_pieces(word, limit)
    return other.startswith(head) or other.endswith(tail) or any(piece in other for piece in middle)


@given(st.data(), words)
def test_a_word_one_edit_away_keeps_a_piece(data, word):
    other = data.draw(edited(word, swaps_allowed=True))
    assert keeps_a_piece(word, 1, other), (word, other, typo_pieces(word, 1))


@given(st.data(), words)
def test_a_word_two_edits_away_with_at_most_one_swap_keeps_a_piece(data, word):
    once = data.draw(edited(word, swaps_allowed=True))
    twice = data.draw(edited(once, swaps_allowed=False)) if len(once) >= 2 else once
    assert keeps_a_piece(word, 2, twice), (word, twice, typo_pieces(word, 2))


@given(words, st.integers(min_value=1, max_value=2))
def test_the_pieces_are_disjoint_in_order_and_long_middles_are_trigram_sized(word, limit):
    head, middle, tail = typo_pieces(word, limit)
    assert len(middle) == limit and head and tail
    joined = head + "".join(middle)
    assert word.startswith(joined) and len(joined) + len(tail) <= len(word) and word.endswith(tail)
    if len(word) >= limit * MIN_TRIGRAM + 2:
        assert all(len(piece) == MIN_TRIGRAM for piece in middle)
