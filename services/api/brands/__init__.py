"""Brands: the handles each brand answers from, as the read model knows them."""
