"""Pages of the improvement app: the register (register.py), plans, the portfolio and suggestions
(plans.py), initiatives and the board (initiatives.py). Each module lists its own `urlpatterns`."""
