# The per-sample pipeline: scale -> flow -> detect -> coach, wired by session.
# Plain logic: imports only `shared`, never `machine`, does no I/O.
