"""Text and music generation: corpora, char-level RNN language models, ABC to MIDI to audio."""
