"""The core: configuration, database, security, audit and the plugin contract.

Nothing in ``zhengwu.core`` imports a plugin; plugins are reached through hooks.
"""
