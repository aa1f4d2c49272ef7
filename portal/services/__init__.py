"""Every state change of the marketplace, one function per transition, each in one transaction.
Split by entity: needs.py, programs.py, sessions.py, applications.py, attendance.py."""
