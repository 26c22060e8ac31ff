"""The author's appeal to the supervising body after a rejection or a poor (1-2 star) outcome."""
