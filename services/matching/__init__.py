"""The scoring service: sourcing matches (cooperative to demand) and loan leads (credit need
to loan product), each with a score in [0, 1], its components and reasons in English and
Vietnamese.

- ``domain/``: the matcher itself, plain Python and numpy/scipy/scikit-learn, no I/O;
  ``domain.engine.MatchingEngine`` is its entry point.
- ``contract_mapping``: contract events in, contract events out (the only module here that
  knows ``shared.contract``).
- ``model_store``, ``feedback_file``: learnt models and feedback examples on disk.
- ``commands``: evaluate, train, explain, for the ``ketnoi`` CLI.
- ``evaluation/``: the labelled evaluation set and its runner.
"""
