"""Analyses of coded interviews: code frequencies and co-occurrence, the Framework matrix,
inter-coder agreement and a privacy-safe quote bank, on the segments frame the readers return.
"""
