"""Preparation: the tidy frames every analysis takes, with identifiers replaced by keyed
pseudonyms and free text scrubbed, once.
"""
