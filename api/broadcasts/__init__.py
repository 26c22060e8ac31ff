"""Ward broadcasts: the city warns every resident of the affected wards (storms, floods)."""
