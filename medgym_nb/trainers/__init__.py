"""Adapters that hand medgym episodes to RL trainers (Gymnasium lives in ``medgym_nb.gym``)."""
