"""Every write of the improvement app: register.py (the CSI register), plans.py, initiatives.py
(sections, objectives, baseline, tasks, timeline), workflow.py (the one transition function),
suggestions.py (strategic suggestions)."""
