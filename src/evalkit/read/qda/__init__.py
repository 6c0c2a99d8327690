"""Coded interviews as they come: REFI-QDA projects (``.qdpx``, ``.qdc``) and coded-segment
sheets read into the shared segments and documents frames, and ``.qdpx`` written back.
"""
