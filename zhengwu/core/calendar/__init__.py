"""The statutory working-day clock: national calendar, regional overrides, deadlines.

``models`` holds the tables, ``rules`` the pure day lists (chinese-calendar seed, the
provisional 2024-rules fallback), ``service`` the in-memory ``WorkCalendar`` and the
admin operations (``import_notice``, ``add_override``).
"""
