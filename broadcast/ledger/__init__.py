"""The ledger: the outbox that remembers every version and delivery across runs."""
