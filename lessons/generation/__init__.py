"""Weekly lesson generator: composes Crazy Diamonds lessons from the hand-written part bank."""
from lessons.generation.generator import (
    GENERATOR_VERSION,
    BankError,
    GeneratedLesson,
    compose_lessons,
    load_bank,
)

__all__ = ["GENERATOR_VERSION", "BankError", "GeneratedLesson", "compose_lessons", "load_bank"]
