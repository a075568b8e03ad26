"""The exit codes of every command, for scripts and cron: what a result's ``exit_code`` means."""

EXIT_OK = 0  # done
EXIT_DELIVERY_FAILED = 1  # a delivery failed, or may have (uncertain)
EXIT_BAD_INPUT = 2  # bad input: nothing was sent
EXIT_BUSY = 3  # another run holds the incident
