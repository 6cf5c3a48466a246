"""Built-in plugins, each a folder registered under the entry-point group ``zhengwu.plugins``.

Each plugin: ``__init__.py`` (the plugin object and its hookimpls), ``models.py``,
``service.py``, ``graphql.py``, ``jobs.py``, ``routes.py`` where needed, ``settings.py``,
``migrations/``, ``README.md``. Plugins never import one another (import-linter).
"""
