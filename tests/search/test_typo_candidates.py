"""Typo candidates: the pieces a word is cut into leave one intact in every word within reach (property-based).

``near_words`` only weighs the catalog words that start with the head, end with the tail or
contain a middle piece of :func:`search.backends.typo_pieces`. A word within the edits typo
tolerance allows (insert, delete, substitute or swap two neighbours; one edit from five
letters, two from nine) must keep one of them, or typo tolerance would miss it.
"""

from hypothesis import given
from hypothesis import strategies as st

from search.backends import MIN_TRIGRAM, typo_pieces
from search.text import allowed_typos

letters = "abcdefgh"


@st.composite
def edited(draw, word: str, edits: int) -> str:
    """``word`` after ``edits`` edits at distinct places of it (as optimal string alignment counts them)."""
    kinds = draw(st.lists(st.sampled_from(["insert", "delete", "substitute", "swap"]), min_size=edits,
                          max_size=edits))
    # The places, right to left, so an edit never moves the places still to come; a swap takes two.
    places, at = [], len(word)
    for kind in kinds:
        width = 2 if kind == "swap" else 0 if kind == "insert" else 1
        if at - width < 0:
            break
        at = draw(st.integers(min_value=0, max_value=at - width))
        places.append((kind, at))
        at -= 1
        if at < 0:
            break
    for kind, at in places:
        letter = draw(st.sampled_from(letters + "xyz"))
        if kind == "insert":
            word = word[:at] + letter + word[at:]
        elif kind == "delete":
            word = word[:at] + word[at + 1:]
        elif kind == "substitute":
            word = word[:at] + letter + word[at + 1:]
        else:
            word = word[:at] + word[at + 1] + word[at] + word[at + 2:]
    return word


def keeps_a_piece(word: str, limit: int, other: str) -> bool:
    head, middle, tail = typo_pieces(word, limit)
    return (bool(head) and other.startswith(head)) or (bool(tail) and other.endswith(tail)) or any(
        len(piece) >= MIN_TRIGRAM and piece in other for piece in middle)


@given(st.data(), st.text(alphabet=letters, min_size=5, max_size=20))
def test_a_word_within_the_allowed_typos_keeps_a_piece_that_is_looked_up(data, word):
    limit = allowed_typos(word)
    other = data.draw(edited(word, limit))
    assert keeps_a_piece(word, limit, other), (word, other, typo_pieces(word, limit))


@given(st.text(alphabet=letters, min_size=3, max_size=20), st.integers(min_value=1, max_value=2))
def test_the_pieces_are_in_order_a_letter_apart_with_trigram_middles_where_there_is_room(word, limit):
    head, middle, tail = typo_pieces(word, limit)
    assert len(middle) == limit - 1
    pieces = [head, *middle, tail]
    assert sum(map(len, pieces)) == len(word) - limit  # one letter between each two pieces
    at = 0
    for piece in pieces[:-1]:
        assert word[at:at + len(piece)] == piece
        at += len(piece) + 1
    assert word.endswith(tail)
    if len(word) - limit >= 2 + (limit - 1) * MIN_TRIGRAM:
        assert head and tail and all(len(piece) == MIN_TRIGRAM for piece in middle)
    if allowed_typos(word) == limit:  # the lengths typo tolerance allows always have room
        assert head and tail and all(len(piece) == MIN_TRIGRAM for piece in middle)
