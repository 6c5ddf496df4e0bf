"""The deviation register (samverkansavvikelser) and the MAS dashboard (DOMAIN §3)."""
