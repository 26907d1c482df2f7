"""Pure rules: no I/O, no Slack, no database. Every function takes `now` when time matters."""
