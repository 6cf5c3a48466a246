"""The shared service-item standard (GB/T 39554): catalog, implementation lists, delegation,
service guides. Part of the core: plugins (intake first) rely on it.
"""
