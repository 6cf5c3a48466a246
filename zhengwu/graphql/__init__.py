"""The GraphQL API, one schema per tier, assembled at start-up from the core and plugins.

Resolvers here translate: parse input, call one service, map the result or the typed
error. Business rules live in the services.
"""
