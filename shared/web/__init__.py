"""What every service's HTTP side shares: one error format, auth dependencies, idempotent
writes, health, settings, the app factory and the processes' command line."""
