"""Server-rendered HTML of the public pages (Jinja2, autoescaped, no JavaScript).

Templates live in Python modules rather than ``.html`` files so that they ship with the
package without extra package-data rules.
"""
