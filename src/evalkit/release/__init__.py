"""Release: disclosure control of every released table, the release writers and the release
check that reads back what a run would release.
"""
