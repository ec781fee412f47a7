"""Operations: plans (generators of typed steps, see steps.py) shared by the sync and async APIs."""
