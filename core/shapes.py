"""The four RNN shapes of the home page: what each reads and writes, and tasks that fit it.

Every example is tagged with the kinds of its input and output, so a test can check that it
fits its shape's definition (a tagging task writes one label per input step; a translation
does not). Kinds:

- ``"vector"``: one fixed-size input or output (an image embedding, a class, a style);
- ``"sequence"``: a sequence of some length n;
- ``"same length"``: an output sequence with one element per input step (length n);
- ``"own length"``: an output sequence whose length does not follow the input's.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Example:
    task: str
    reads: str  # kind of the input (see the module docstring)
    writes: str  # kind of the output


@dataclass(frozen=True)
class Shape:
    key: str  # the diagram's name in core.plots.shapes
    title: str
    reads: str  # what every example of this shape must read ...
    writes: str  # ... and write
    definition: str
    examples: tuple[Example, ...]
    page: str  # where it runs in the app
    link_label: str
    link_query: tuple[tuple[str, str], ...] = ()  # URL settings the link opens the page with


def _seq_tagging(*tasks: str) -> tuple[Example, ...]:
    return tuple(Example(t, "sequence", "same length") for t in tasks)


SHAPES = (
    Shape(
        key="seq2seq",
        title="Sequence to sequence",
        reads="sequence",
        writes="same length",
        definition="Reads a sequence and emits an output at every step, so the output is as long as the input "
        "(or delayed by a few steps). Each output can only use what has been read so far.",
        examples=_seq_tagging(
            "part-of-speech and named-entity tagging",
            "per-frame labelling of video or audio",
            "step-by-step forecasting (the next value at every step)",
        ),
        page="pages/1_Translation.py",
        link_label="Plain seq2seq vs encoder–decoder on dates",
        link_query=(("tr_model", "dates-iso-plain"),),
    ),
    Shape(
        key="seq2vec",
        title="Sequence to vector",
        reads="sequence",
        writes="vector",
        definition="Reads the whole sequence and keeps only the last output (or a pooled state): one vector, "
        "one prediction for the sequence.",
        examples=tuple(
            Example(t, "sequence", "vector")
            for t in (
                "sentiment and document classification",
                "anomaly detection",
                "video and music-genre classification",
            )
        ),
        page="pages/2_Video.py",
        link_label="Classify motion in a video clip",
    ),
    Shape(
        key="vec2seq",
        title="Vector to sequence",
        reads="vector",
        writes="own length",
        definition="Starts from one vector (an image embedding, a style) and unrolls a sequence from it, "
        "feeding each output back as the next input.",
        examples=tuple(
            Example(t, "vector", "own length")
            for t in ("image captioning", "music from a style vector (meter and key)", "text generation from a topic")
        ),
        page="pages/3_Generator.py",
        link_label="Generate a folk tune in a chosen meter and key",
    ),
    Shape(
        key="encoder-decoder",
        title="Encoder–decoder",
        reads="sequence",
        writes="own length",
        definition="A sequence-to-vector encoder followed by a vector-to-sequence decoder: input and output lengths "
        "are independent, and attention lets the decoder look back at every encoder state.",
        examples=tuple(
            Example(t, "sequence", "own length")
            for t in (
                "machine translation",
                "summarisation",
                "dialogue and question answering",
                "speech recognition (audio → text)",
                "speech synthesis (text → audio)",
            )
        ),
        page="pages/1_Translation.py",
        link_label="Translate with an attention heatmap",
    ),
)


def uses(shape: Shape) -> str:
    """The examples as the page prints them after "Used for:"."""
    return ", ".join(e.task for e in shape.examples)
