"""The resident's word after the work: a 1-5 rating, or reopening within the window."""
