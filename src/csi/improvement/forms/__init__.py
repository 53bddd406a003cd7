"""Forms of the improvement pages: register.py (register entries), plans.py (plans, suggestions), initiatives.py."""
