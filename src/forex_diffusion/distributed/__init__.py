"""Scale-out: walk-forward folds, parameter sweeps and symbols as tasks on a local process pool
or on Ray (:mod:`.pools`)."""
