"""Validation: the codebook turned into rules, every problem of a study's data collected.

:func:`evalkit.validate.study.validate_study` reads every source through the readers, types the
values against the codebook and reports each problem with its file, row, column and a message in
French and English.
"""
