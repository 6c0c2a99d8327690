"""Configuration: the typed model of ``study.yaml``, the codebook and the instruments.

A study is loaded once (:func:`evalkit.config.study.load_study`) into one object that every later
stage is handed; its codebook is parsed once with it.
"""
