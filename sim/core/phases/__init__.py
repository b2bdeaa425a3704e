"""Phases 1-6 of a step (docs/model.md, section 3 "Process overview and scheduling").

Seven modules: one for each of budgets, needs, finding, intake, service and referral, and
``choice``, the provider choice that finding and referral share. Phase 7 (coordination) is the
mechanisms' ``on_coordination`` hooks (``sim/core/coordination/``) and phase 8 (accounting) is
``CoordinationModel._account`` (``sim/core/model.py``).
"""
