"""The tenant tree: division codes, provisioning and import, the settings cascade, scope.

Nothing here imports a plugin.
"""
