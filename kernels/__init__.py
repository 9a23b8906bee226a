"""Numerical kernels that SQL cannot express, called once per run by the index and fund stages
(``stages``; DESIGN.md).

Pure functions on pandas frames and numpy arrays; no I/O at import. The cohesion index
(../shared/METHOD.md, section 3):

- ``methodology``: load and validate config/methodology.yml.
- ``index.compute_index``: scores, ranks, domains, contributions, treatments per commune and year,
  built from ``prepare`` (input checks), ``pipeline`` (the stages: ``screening``, ``imputation``,
  ``smoothing``, ``outliers`` with ``moments``, ``normalise``, ``aggregate``), ``contributions``
  and ``goalposts``.
- ``uncertainty.run_uncertainty``: Monte Carlo ranks and sensitivity; ``uncertainty.benchmark``.
- ``explain``: contributions, strengths, weaknesses and changes in plain sentences (fr, nl, en).
- ``synthetic``: seeded fake inputs for tests and the benchmark.
- ``stages``: the index and fund stages, every table each writes from the frames it reads;
  ``warehouse``: the glue between those frames and the kernels.

The local cohesion fund (METHOD.md, section 4) lives in the ``fund*`` modules.
"""
