"""Task families: how instances are generated and solved, per kind of problem."""
