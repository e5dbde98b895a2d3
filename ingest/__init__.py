"""Load guideline documents, cut them into clause-level chunks and embed them into Chroma."""
