"""Every read of the improvement app, permission-restricted: register.py, plans.py, initiatives.py."""
