"""Who is calling: organisations, their roles, and the signed tokens that say so.

The organiser's command line holds an Ed25519 private key and signs a token for each
organisation; every service verifies tokens with the public key alone. No service shares a
database or calls another to learn who a caller is. See docs/identity.md.
"""
