"""Routing tables as data: categories, agencies and Hanoi's ward polygons.

Another city swaps the data files through settings; no code names a category or agency.
"""
