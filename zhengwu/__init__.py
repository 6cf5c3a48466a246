"""zhengwu — a multi-tenant platform for government-affairs disclosure and government services."""

__version__ = "0.1.0"
