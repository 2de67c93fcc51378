"""The conference scheduling domain: plain Python and computation libraries, no I/O."""
