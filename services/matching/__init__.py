"""The scoring service: sourcing matches (cooperative to demand) and loan leads (credit need
to loan product), each with a score in [0, 1], its components and reasons in English and
Vietnamese. How it runs, scales and recovers: docs/matching.md.

- ``domain/``: the matcher itself, plain Python and numpy/scipy/scikit-learn, no I/O;
  ``domain.engine.MatchingEngine`` is its entry point.
- ``contract_mapping``: contract events in, contract events out (the domain never sees the
  contract).
- ``app``: the faust-streaming worker (``python -m services.matching worker``): one agent on
  the demands; ``worker.MatchingWorker`` holds the engine, decides what this worker publishes,
  and rebuilds after restarts and rebalances; ``log_reading`` reads topics outside the group;
  ``outputs`` publishes; ``dead_letters`` sends each poison record once.
- ``model_store``, ``feedback_file``: learnt models and feedback examples on disk.
- ``commands``: evaluate, train, explain, for the ``ketnoi`` CLI (``services/cli/matching.py``).
- ``evaluation/``: the labelled evaluation set and its runner.
"""
