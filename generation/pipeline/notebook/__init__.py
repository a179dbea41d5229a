"""Pieces of the notebook builder (`generation.pipeline.assembly`): labels, markdown and code cells."""
