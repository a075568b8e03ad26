"""Reports: the status of an incident and the post-incident evaluation, from the ledger."""
