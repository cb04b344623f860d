"""synth: the SYNTHETIC Shuozhou city — geography, census batches, organisation, cases and hotline logs for tests,
demos and benchmarks (``szcg synth city``). Entry points: :func:`synth.city.generate_city`,
:func:`synth.replay.iter_case_actions`. See docs/synthetic-city.md."""
