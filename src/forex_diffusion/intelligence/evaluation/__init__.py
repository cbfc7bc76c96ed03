"""What evaluates stored decisions, apart from what decides on a live bar: signal studies (fit
span, then every later bar), the statistics of stored signals, the replay of signals under other
parameters, and the pattern statistics against shuffled bars. The trading layer and the live
intelligence modules import none of it (an import contract checks this)."""
